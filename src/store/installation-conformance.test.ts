import { describe, expect, it } from 'vitest'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import type { GhlTokenCiphertexts, GhlTokenOwner, Store } from './types.js'

/**
 * The installations registry (installation-store.ts), on both stores: every transition of a row,
 * the token state read from ghl_tokens (never copied), keyset pages with their filters, and the
 * agency-uninstall cascade over tokens and installations.
 */

const NOW = 1_800_000_000_000
const APP = 'app_1'
const location = (ownerId: string): GhlTokenOwner => ({ appId: APP, userType: 'Location', ownerId })
const company = (ownerId: string): GhlTokenOwner => ({ appId: APP, userType: 'Company', ownerId })
const pair: GhlTokenCiphertexts = {
  keyId: 'key_aaaaaaaaaaaa',
  accessToken: Buffer.from('a'),
  refreshToken: Buffer.from('r'),
  expiresAt: NOW + 86_399_000,
  scopes: 'contacts.readonly',
}

describe.each(STORE_HARNESSES)('GHL installation store: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  storePerTest(harness, (fresh) => {
    store = fresh
  })

  it('records an install with every field, and the token state joined from ghl_tokens', async () => {
    expect(await store.getGhlInstallation(location('loc_1'))).toBeUndefined()
    const recorded = await store.recordGhlInstall(location('loc_1'), { companyId: 'comp_1', bulk: true }, NOW)
    expect(recorded).toEqual({
      ...location('loc_1'),
      companyId: 'comp_1',
      installedAt: NOW,
      uninstalledAt: null,
      bulk: true,
      tenantId: null,
      updatedAt: NOW,
      token: null,
    })
    await store.putGhlToken(location('loc_1'), { ...pair, companyId: 'comp_1' }, NOW + 1)
    await store.setGhlTokenStatus(location('loc_1'), 'needs_reauth', 'invalid_grant', NOW + 2)
    expect((await store.getGhlInstallation(location('loc_1')))!.token).toEqual({
      status: 'needs_reauth',
      statusReason: 'invalid_grant',
      scopes: 'contacts.readonly',
      expiresAt: NOW + 86_399_000,
      refreshedAt: NOW + 1,
    })
    // A Company installation of the same id is another row.
    expect(await store.getGhlInstallation(company('loc_1'))).toBeUndefined()
  })

  it('recorded again while installed keeps installed_at and bulk; after an uninstall it is a new install', async () => {
    await store.recordGhlInstall(location('loc_1'), { companyId: null, bulk: true }, NOW)
    const again = await store.recordGhlInstall(
      location('loc_1'),
      { companyId: 'comp_1', bulk: false },
      NOW + 10,
    )
    expect(again).toMatchObject({ installedAt: NOW, bulk: true, companyId: 'comp_1', updatedAt: NOW + 10 })
    await store.setGhlInstallationTenant(location('loc_1'), 'tenant-7', NOW + 11)
    expect(await store.uninstallGhlInstallation(location('loc_1'), NOW + 20)).toBe(true)
    expect(await store.uninstallGhlInstallation(location('loc_1'), NOW + 21)).toBe(false)
    expect(await store.getGhlInstallation(location('loc_1'))).toMatchObject({ uninstalledAt: NOW + 20 })
    const back = await store.recordGhlInstall(location('loc_1'), { companyId: null, bulk: false }, NOW + 30)
    // The tenant id is the user's mapping: it survives the uninstall.
    expect(back).toMatchObject({
      installedAt: NOW + 30,
      uninstalledAt: null,
      bulk: false,
      companyId: 'comp_1',
      tenantId: 'tenant-7',
    })
  })

  it('an install as of a time before the recorded uninstall changes nothing; one after it installs again', async () => {
    await store.recordGhlInstall(location('loc_1'), { companyId: null, bulk: false }, NOW)
    await store.uninstallGhlInstallation(location('loc_1'), NOW + 10)
    const stale = await store.recordGhlInstall(
      location('loc_1'),
      { companyId: null, bulk: false, asOf: NOW + 5 },
      NOW + 20,
    )
    expect(stale).toMatchObject({ uninstalledAt: NOW + 10, installedAt: NOW, updatedAt: NOW + 10 })
    const fresh = await store.recordGhlInstall(
      location('loc_1'),
      { companyId: null, bulk: false, asOf: NOW + 15 },
      NOW + 20,
    )
    expect(fresh).toMatchObject({ uninstalledAt: null, installedAt: NOW + 20 })
    // A first install is recorded whatever its time.
    expect(
      await store.recordGhlInstall(location('loc_2'), { companyId: null, bulk: false, asOf: 0 }, NOW),
    ).toMatchObject({
      uninstalledAt: null,
    })
  })

  it('sets and clears a tenant id; none for a location without an installation', async () => {
    await store.recordGhlInstall(location('loc_1'), { companyId: null, bulk: false }, NOW)
    expect(await store.setGhlInstallationTenant(location('loc_1'), 'ten/ant é', NOW + 1)).toMatchObject({
      tenantId: 'ten/ant é',
      updatedAt: NOW + 1,
    })
    expect(await store.setGhlInstallationTenant(location('loc_1'), null, NOW + 2)).toMatchObject({
      tenantId: null,
    })
    expect(await store.setGhlInstallationTenant(location('nope'), 'x', NOW)).toBeUndefined()
  })

  it('pages companies then locations in id order with a cursor, and filters by status, needs_reauth and company', async () => {
    await store.recordGhlInstall(company('comp_1'), { companyId: null, bulk: true }, NOW)
    await store.recordGhlInstall(company('comp_2'), { companyId: null, bulk: false }, NOW)
    for (const id of ['loc_c', 'loc_a', 'loc_b', 'loc_d']) {
      await store.recordGhlInstall(
        location(id),
        { companyId: id === 'loc_d' ? 'comp_2' : 'comp_1', bulk: true },
        NOW,
      )
    }
    await store.uninstallGhlInstallation(location('loc_b'), NOW + 1)
    await store.putGhlToken(location('loc_c'), { ...pair, companyId: 'comp_1' }, NOW)
    await store.setGhlTokenStatus(location('loc_c'), 'needs_reauth', 'invalid_grant', NOW)
    expect((await store.getGhlInstallation(company('comp_2')))!.companyId).toBe('comp_2')
    // A row of another app is never listed.
    await store.recordGhlInstall(
      { ...location('loc_0'), appId: 'other' },
      { companyId: null, bulk: false },
      NOW,
    )

    const ids = async (query: Omit<Parameters<Store['listGhlInstallations']>[0], 'appId' | 'limit'>) => {
      const seen: string[] = []
      let cursor: string | undefined
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.listGhlInstallations({ appId: APP, limit: 2, ...query, cursor })
        expect(page.items.length).toBeLessThanOrEqual(2)
        seen.push(...page.items.map((i) => `${i.userType[0]}:${i.ownerId}`))
        if (page.nextCursor === null) return seen
        cursor = page.nextCursor
      }
      throw new Error('more than 10 pages')
    }
    expect(await ids({})).toEqual(['C:comp_1', 'C:comp_2', 'L:loc_a', 'L:loc_b', 'L:loc_c', 'L:loc_d'])
    expect(await ids({ status: 'installed' })).toEqual([
      'C:comp_1',
      'C:comp_2',
      'L:loc_a',
      'L:loc_c',
      'L:loc_d',
    ])
    expect(await ids({ status: 'uninstalled' })).toEqual(['L:loc_b'])
    expect(await ids({ needsReauth: true })).toEqual(['L:loc_c'])
    expect(await ids({ companyId: 'comp_2' })).toEqual(['C:comp_2', 'L:loc_d'])
    // A cursor we did not issue starts from the beginning rather than failing.
    const page = await store.listGhlInstallations({ appId: APP, limit: 1, cursor: 'garbage' })
    expect(page.items.map((i) => i.ownerId)).toEqual(['comp_1'])
  })

  it('an agency uninstall revokes the company token and every location token of it, and marks their installations', async () => {
    await store.putGhlToken(company('comp_1'), { ...pair, companyId: null }, NOW)
    await store.recordGhlInstall(company('comp_1'), { companyId: null, bulk: true }, NOW)
    // loc_1's token names its company; loc_2's does not, its installation does; loc_3 is another agency's.
    await store.putGhlToken(location('loc_1'), { ...pair, companyId: 'comp_1' }, NOW)
    await store.recordGhlInstall(location('loc_1'), { companyId: 'comp_1', bulk: true }, NOW)
    await store.putGhlToken(location('loc_2'), { ...pair, companyId: null }, NOW)
    await store.recordGhlInstall(location('loc_2'), { companyId: 'comp_1', bulk: true }, NOW)
    await store.putGhlToken(location('loc_3'), { ...pair, companyId: 'comp_9' }, NOW)
    await store.recordGhlInstall(location('loc_3'), { companyId: 'comp_9', bulk: false }, NOW)
    const leased = await store.leaseGhlToken(location('loc_1'), 'p1', 10_000, NOW)

    expect(await store.revokeGhlCompanyTokens(APP, 'comp_1', 'agency uninstalled the app', NOW + 1)).toBe(3)
    expect(await store.revokeGhlCompanyTokens(APP, 'comp_1', 'again', NOW + 2)).toBe(0)
    expect(await store.uninstallGhlCompany(APP, 'comp_1', NOW + 1)).toBe(3)
    for (const owner of [company('comp_1'), location('loc_1'), location('loc_2')]) {
      expect(await store.getGhlToken(owner)).toMatchObject({
        status: 'revoked',
        statusReason: 'agency uninstalled the app',
        leaseHolder: null,
      })
      expect(await store.getGhlInstallation(owner)).toMatchObject({ uninstalledAt: NOW + 1 })
    }
    expect(await store.getGhlToken(location('loc_3'))).toMatchObject({ status: 'active' })
    expect(await store.getGhlInstallation(location('loc_3'))).toMatchObject({ uninstalledAt: null })
    // The refresh that held loc_1's lease saves nothing over the revocation.
    expect(
      await store.saveRefreshedGhlToken(
        location('loc_1'),
        { holder: 'p1', version: leased!.version },
        pair,
        NOW,
      ),
    ).toBeUndefined()
  })

  it('location facts: the uninstalled locations and those with a tenant id, nothing else', async () => {
    await store.recordGhlInstall(location('loc_1'), { companyId: null, bulk: false }, NOW)
    await store.recordGhlInstall(location('loc_2'), { companyId: null, bulk: false }, NOW)
    await store.recordGhlInstall(location('loc_3'), { companyId: null, bulk: false }, NOW)
    await store.recordGhlInstall(company('comp_1'), { companyId: null, bulk: false }, NOW)
    await store.uninstallGhlInstallation(location('loc_2'), NOW)
    await store.uninstallGhlInstallation(company('comp_1'), NOW)
    await store.setGhlInstallationTenant(location('loc_3'), 'T3', NOW)
    expect(await store.ghlLocationFacts(APP, 100)).toEqual([
      { locationId: 'loc_2', uninstalled: true, tenantId: null },
      { locationId: 'loc_3', uninstalled: false, tenantId: 'T3' },
    ])
    expect(await store.ghlLocationFacts(APP, 1)).toHaveLength(1)
    expect(await store.ghlLocationFacts('other', 100)).toEqual([])
  })
})
