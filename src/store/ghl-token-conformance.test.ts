import { describe, expect, it } from 'vitest'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import { until } from '../../test/support/until.js'
import type { GhlTokenCiphertexts, GhlTokenOwner, Store } from './types.js'

/**
 * The GHL token rows (ghl-token-store.ts), on both stores: what is stored comes back byte for byte,
 * the lease is taken by exactly one of many processes, and every write under a lease is a
 * compare-and-swap on the version that a lost lease cannot pass.
 */

const NOW = Date.now()
const owner = (ownerId = 'loc_1'): GhlTokenOwner => ({ appId: 'app_1', userType: 'Location', ownerId })
const pair = (tag: string, keyId = 'key_aaaaaaaaaaaa'): GhlTokenCiphertexts => ({
  keyId,
  accessToken: Buffer.from([0, 255, ...Buffer.from(`a-${tag}`)]),
  refreshToken: Buffer.from(`r-${tag}`),
  expiresAt: NOW + 86_399_000,
  scopes: 'contacts.readonly contacts.write',
})

describe.each(STORE_HARNESSES)('GHL token store: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  const { keep } = storePerTest(harness, (fresh) => {
    store = fresh
  })

  it('stores a pair and reads every field back, the ciphertexts byte for byte', async () => {
    expect(await store.getGhlToken(owner())).toBeUndefined()
    const put = await store.putGhlToken(owner(), { ...pair('1'), companyId: 'comp_1' }, NOW)
    const read = await store.getGhlToken(owner())
    expect(read).toEqual(put)
    expect(read).toMatchObject({
      ...owner(),
      ...pair('1'),
      companyId: 'comp_1',
      status: 'active',
      statusReason: null,
      version: 1,
      leaseHolder: null,
      leaseUntil: null,
      refreshedAt: NOW,
      createdAt: NOW,
    })
    expect(Buffer.isBuffer(read!.accessToken)).toBe(true)
    // A Company token of the same id is another row.
    expect(await store.getGhlToken({ ...owner(), userType: 'Company' })).toBeUndefined()
  })

  it('a re-install replaces the pair, makes the row active, ends any lease and keeps the known company', async () => {
    await store.putGhlToken(owner(), { ...pair('1'), companyId: 'comp_1' }, NOW)
    const lease = await store.leaseGhlToken(owner(), 'p1', 10_000, NOW)
    await store.setGhlTokenStatus(owner(), 'needs_reauth', 'invalid_grant', NOW)
    const again = await store.putGhlToken(owner(), { ...pair('2'), companyId: null }, NOW + 1)
    expect(again).toMatchObject({ ...pair('2'), companyId: 'comp_1', status: 'active', statusReason: null })
    expect(again).toMatchObject({ leaseHolder: null, leaseUntil: null, createdAt: NOW, updatedAt: NOW + 1 })
    // The refresh that held the lease before the re-install saves nothing over it.
    expect(
      await store.saveRefreshedGhlToken(owner(), { holder: 'p1', version: lease!.version }, pair('x'), NOW),
    ).toBeUndefined()
  })

  it('of many processes asking at once, exactly one gets the lease', async () => {
    await store.putGhlToken(owner(), { ...pair('1'), companyId: null }, NOW)
    const sibling = keep(harness.openSibling())
    const takers = [store, sibling].flatMap((s, i) =>
      Array.from({ length: 10 }, (_, j) => s.leaseGhlToken(owner(), `p${i}-${j}`, 10_000, Date.now())),
    )
    const won = (await Promise.all(takers)).filter((row) => row !== undefined)
    expect(won).toHaveLength(1)
    expect(won[0]).toMatchObject({ version: 2, leaseHolder: expect.stringMatching(/^p\d-\d+$/) })
    expect(won[0]!.leaseUntil).toBeGreaterThan(Date.now() + 5_000)
  })

  it('an expired lease can be taken by another holder, and the first one then writes nothing', async () => {
    await store.putGhlToken(owner(), { ...pair('1'), companyId: null }, NOW)
    // Long enough that the refusal below is still inside it on a busy machine (30 ms was not).
    const first = await store.leaseGhlToken(owner(), 'p1', 1_000, Date.now())
    expect(first).toBeDefined()
    expect(await store.leaseGhlToken(owner(), 'p2', 10_000, Date.now())).toBeUndefined()
    // No throw on timeout: the assertion below shows the refusal.
    const second = await until(
      () => store.leaseGhlToken(owner(), 'p2', 10_000, Date.now()),
      'the expired lease',
      5000,
    ).catch(() => undefined)
    expect(second).toMatchObject({ leaseHolder: 'p2', version: 3 })
    const lost = { holder: 'p1', version: first!.version }
    expect(await store.saveRefreshedGhlToken(owner(), lost, pair('p1'), Date.now())).toBeUndefined()
    expect(await store.endGhlTokenLease(owner(), lost, 'free', Date.now())).toBe(false)
    expect(await store.setGhlTokenStatus(owner(), 'needs_reauth', 'x', Date.now(), lost)).toBe(false)
    const saved = await store.saveRefreshedGhlToken(
      owner(),
      { holder: 'p2', version: 3 },
      pair('p2', 'key_b'),
      NOW + 5,
    )
    expect(saved).toMatchObject({
      ...pair('p2', 'key_b'),
      version: 4,
      leaseHolder: null,
      leaseUntil: null,
      refreshedAt: NOW + 5,
    })
  })

  it('an interrupted lease is listed until someone finishes it; a freed one is not', async () => {
    await store.putGhlToken(owner('a'), { ...pair('a'), companyId: null }, NOW)
    await store.putGhlToken(owner('b'), { ...pair('b'), companyId: null }, NOW)
    const a = await store.leaseGhlToken(owner('a'), 'p1', 10_000, Date.now())
    const b = await store.leaseGhlToken(owner('b'), 'p1', 10_000, Date.now())
    expect(await store.interruptedGhlTokens(10, Date.now())).toEqual([])
    expect(
      await store.endGhlTokenLease(
        owner('a'),
        { holder: 'p1', version: a!.version },
        'interrupted',
        Date.now(),
      ),
    ).toBe(true)
    expect(
      await store.endGhlTokenLease(owner('b'), { holder: 'p1', version: b!.version }, 'free', Date.now()),
    ).toBe(true)
    expect(await store.getGhlToken(owner('b'))).toMatchObject({ leaseHolder: null, leaseUntil: null })
    expect(await store.getGhlToken(owner('a'))).toMatchObject({ leaseHolder: 'p1' })
    expect(await store.interruptedGhlTokens(10, Date.now() + 1)).toEqual([owner('a')])
    // Whoever finishes it takes the lease over at once.
    const taken = await store.leaseGhlToken(owner('a'), 'p2', 10_000, Date.now() + 1)
    expect(taken).toMatchObject({ leaseHolder: 'p2' })
    expect(await store.interruptedGhlTokens(10, Date.now() + 1)).toEqual([])
  })

  it('a row that needs re-authorisation or was revoked cannot be leased', async () => {
    await store.putGhlToken(owner(), { ...pair('1'), companyId: null }, NOW)
    const lease = await store.leaseGhlToken(owner(), 'p1', 10_000, NOW)
    expect(
      await store.setGhlTokenStatus(owner(), 'needs_reauth', 'invalid_grant', NOW, {
        holder: 'p1',
        version: lease!.version,
      }),
    ).toBe(true)
    expect(await store.getGhlToken(owner())).toMatchObject({
      status: 'needs_reauth',
      statusReason: 'invalid_grant',
      leaseHolder: null,
    })
    expect(await store.leaseGhlToken(owner(), 'p2', 10_000, NOW)).toBeUndefined()
    expect(await store.setGhlTokenStatus(owner(), 'revoked', 'uninstalled', NOW)).toBe(true)
    expect(await store.setGhlTokenStatus(owner('nobody'), 'revoked', null, NOW)).toBe(false)
  })

  it('samples one row per key id', async () => {
    expect(await store.sampleGhlTokensByKey()).toEqual([])
    await store.putGhlToken(owner('a'), { ...pair('a', 'key_1'), companyId: null }, NOW)
    await store.putGhlToken(owner('b'), { ...pair('b', 'key_1'), companyId: null }, NOW)
    await store.putGhlToken(owner('c'), { ...pair('c', 'key_2'), companyId: null }, NOW)
    const sample = await store.sampleGhlTokensByKey()
    expect(sample.map((row) => row.keyId).sort()).toEqual(['key_1', 'key_2'])
  })

  it('counts rows by status, every status present', async () => {
    expect(await store.countGhlTokensByStatus()).toEqual({ active: 0, needs_reauth: 0, revoked: 0 })
    for (const id of ['a', 'b', 'c', 'd'])
      await store.putGhlToken(owner(id), { ...pair(id), companyId: null }, NOW)
    await store.setGhlTokenStatus(owner('b'), 'needs_reauth', 'invalid_grant', NOW)
    await store.setGhlTokenStatus(owner('c'), 'needs_reauth', 'invalid_grant', NOW)
    await store.setGhlTokenStatus(owner('d'), 'revoked', 'uninstalled', NOW)
    expect(await store.countGhlTokensByStatus()).toEqual({ active: 1, needs_reauth: 2, revoked: 1 })
    expect(await store.countGhlTokens('needs_reauth', 10)).toBe(2)
    expect(await store.countGhlTokens('needs_reauth', 1)).toBe(1)
    expect(await store.countGhlTokens('revoked', 10)).toBe(1)
  })

  it('lists the rows of one status in key order, paged, without their ciphertexts', async () => {
    const company = { appId: 'app_1', userType: 'Company', ownerId: 'comp_9' } as const
    const pit = { appId: 'private', userType: 'Location', ownerId: 'loc_p' } as const
    for (const who of [owner('c'), owner('a'), owner('b'), company, pit, owner('active')]) {
      await store.putGhlToken(who, { ...pair(who.ownerId), companyId: null }, NOW)
      if (who.ownerId !== 'active')
        await store.setGhlTokenStatus(who, 'needs_reauth', `why ${who.ownerId}`, NOW + 1)
    }
    await store.putGhlToken(pit, { ...pair('p'), refreshToken: null, expiresAt: null, companyId: null }, NOW)
    await store.setGhlTokenStatus(pit, 'needs_reauth', 'GHL answered 401', NOW + 1)
    const first = await store.listGhlTokens({ status: 'needs_reauth', limit: 3 })
    expect(first.items.map((row) => [row.appId, row.userType, row.ownerId])).toEqual([
      ['app_1', 'Company', 'comp_9'],
      ['app_1', 'Location', 'a'],
      ['app_1', 'Location', 'b'],
    ])
    expect(first.items[1]).toEqual({
      ...owner('a'),
      companyId: null,
      status: 'needs_reauth',
      statusReason: 'why a',
      refreshable: true,
      refreshedAt: NOW,
      createdAt: NOW,
      updatedAt: NOW + 1,
    })
    expect(first.nextCursor).not.toBeNull()
    const second = await store.listGhlTokens({ status: 'needs_reauth', limit: 3, cursor: first.nextCursor! })
    expect(second.items.map((row) => row.ownerId)).toEqual(['c', 'loc_p'])
    expect(second.items[1]).toMatchObject({ refreshable: false, statusReason: 'GHL answered 401' })
    expect(second.nextCursor).toBeNull()
    expect((await store.listGhlTokens({ status: 'active', limit: 10 })).items.map((r) => r.ownerId)).toEqual([
      'active',
    ])
    expect(await store.listGhlTokens({ status: 'revoked', limit: 10 })).toEqual({
      items: [],
      nextCursor: null,
    })
  })

  it('aged rows: active, refreshable, refreshed before the cut-off, oldest first, bounded', async () => {
    const day = 86_400_000
    await store.putGhlToken(owner('old'), { ...pair('old'), companyId: null }, NOW - 320 * day)
    await store.putGhlToken(owner('older'), { ...pair('older'), companyId: null }, NOW - 350 * day)
    await store.putGhlToken(owner('young'), { ...pair('young'), companyId: null }, NOW - 10 * day)
    await store.putGhlToken(owner('dead'), { ...pair('dead'), companyId: null }, NOW - 360 * day)
    await store.setGhlTokenStatus(owner('dead'), 'needs_reauth', 'invalid_grant', NOW)
    await store.putGhlToken(
      owner('pit'),
      { ...pair('pit'), refreshToken: null, expiresAt: null, companyId: null },
      NOW - 360 * day,
    )
    const cutOff = NOW - 300 * day
    expect(await store.agedGhlTokens(cutOff, 10)).toEqual([owner('older'), owner('old')])
    expect(await store.agedGhlTokens(cutOff, 1)).toEqual([owner('older')])
    // A refresh makes it young.
    const lease = await store.leaseGhlToken(owner('older'), 'p1', 10_000, NOW)
    await store.saveRefreshedGhlToken(
      owner('older'),
      { holder: 'p1', version: lease!.version },
      pair('n'),
      NOW,
    )
    expect(await store.agedGhlTokens(cutOff, 10)).toEqual([owner('old')])
  })

  it('deletes a row, once', async () => {
    await store.putGhlToken(owner(), { ...pair('1'), companyId: null }, NOW)
    expect(await store.deleteGhlToken(owner())).toBe(true)
    expect(await store.getGhlToken(owner())).toBeUndefined()
    expect(await store.deleteGhlToken(owner())).toBe(false)
  })
})
