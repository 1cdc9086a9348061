import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Tenant } from '../src/catalog/tenant.js'
import { GHL_LIFECYCLE_SUBSCRIBER } from '../src/deliver/ghl-lifecycle.js'
import { SubscriberRegistry } from '../src/dispatch/registry.js'
import { retryPolicy } from '../src/dispatch/retry-policy.js'
import { handlerSubscriber } from '../src/gateway.js'
import { GhlReauthRequiredError } from '../src/ghl/errors.js'
import { assembleForTest, type TestAssembly } from './support/assembly.js'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'
import { drainWorker } from './support/harness.js'
import { ed25519Signature, testEd25519Key } from './support/test-app.js'

/**
 * The app's lifecycle from GHL's own webhooks, signed and sent through the real ingest, run by the
 * real worker on both stores: an INSTALL that beats the code exchange is retried until the token is
 * there (never dropped, never dead); an agency UNINSTALL revokes the company token and every
 * location token of it; later events of an uninstalled location are stored, flagged and not delivered.
 */

const APP = 'app_life'
const KEY = randomBytes(32).toString('base64')
const ed = testEd25519Key()
const ADMIN_TOKEN = 'lifecycle-admin-token-0123456789'

describe.each(['sqlite', 'postgres'] as const)('GHL app lifecycle: %s', (kind) => {
  let fake: FakeGhl
  let gateway: TestAssembly | undefined
  let clock = Date.now()
  const handled: string[] = []
  /** What a library handler saw as `event.tenant`, in order. */
  const tenants: Tenant[] = []

  const open = async () => {
    const registry = new SubscriberRegistry()
    registry.add({
      id: 'user-handler',
      kind: 'handler',
      events: ['*'],
      retry: retryPolicy(),
      concurrency: 1,
      timeoutMs: 5000,
      run: async (delivery) => {
        handled.push(delivery.eventId)
        return { outcome: 'success' }
      },
    })
    registry.add(
      handlerSubscriber(
        'tenant-handler',
        ['ContactCreate'],
        (event) => {
          tenants.push(event.tenant)
        },
        {},
        () => gateway!,
      ),
    )
    gateway = await assembleForTest(
      kind,
      {
        GHL_CLIENT_ID: fake.clientId,
        GHL_CLIENT_SECRET: fake.clientSecret,
        GHL_API_URL: fake.url,
        GHL_TOKEN_KEY: KEY,
        GHL_APP_ID: APP,
        GHL_ED25519_PUBLIC_KEYS: ed.spki,
        ADMIN_TOKEN,
      },
      { registry, now: () => clock },
    )
    return gateway
  }
  /** A GHL webhook, signed, through POST /webhooks/ghl: the stored event's id. */
  const send = async (body: Record<string, unknown>) => {
    const bytes = JSON.stringify({
      appId: APP,
      webhookId: randomUUID(),
      timestamp: new Date(clock).toISOString(),
      ...body,
    })
    const answer = await gateway!.app.fastify.inject({
      method: 'POST',
      url: '/webhooks/ghl',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(ed.privateKey, bytes),
      },
      payload: bytes,
    })
    expect(answer.statusCode, answer.body).toBe(200)
    return (answer.json() as { eventId: string }).eventId
  }
  const lifecycleDelivery = async (eventId: string) => {
    const deliveries = await gateway!.store.eventDeliveries(eventId)
    return deliveries.find((d) => d.subscriberId === GHL_LIFECYCLE_SUBSCRIBER)!
  }
  const callback = (code: string) =>
    gateway!.app.fastify.inject({ method: 'GET', url: `/oauth/callback?code=${code}` })

  beforeAll(async () => {
    fake = await startFakeGhl()
  })
  afterAll(() => fake.close())
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('install race: an INSTALL that beats the code exchange is retried, and succeeds once the callback stored the token', async () => {
    const { worker, store, ghlTokens } = await open()
    const eventId = await send({ type: 'INSTALL', locationId: 'loc_race', companyId: 'comp_race' })
    await drainWorker(worker)
    const waiting = await lifecycleDelivery(eventId)
    expect(waiting.state).toBe('retry_scheduled')
    expect(waiting.attemptHistory.at(-1)!.errorMessage).toContain('install race')
    expect(waiting.runAt).toBeGreaterThanOrEqual(clock + 30_000)
    // The installation is recorded already; its token is not there yet.
    const owner = { appId: APP, userType: 'Location' as const, ownerId: 'loc_race' }
    expect(await store.getGhlInstallation(owner)).toMatchObject({ companyId: 'comp_race', token: null })

    const page = await callback(fake.authorize({ ownerId: 'loc_race', companyId: 'comp_race' }))
    expect(page.statusCode).toBe(200)
    clock += 31_000
    await drainWorker(worker)
    const done = await lifecycleDelivery(eventId)
    expect(done.state).toBe('succeeded')
    expect(done.attemptHistory).toHaveLength(2)
    expect(await ghlTokens!.accessToken('loc_race')).toBe(fake.current('loc_race')!.accessToken)
    expect(await store.countDead({}, 10)).toEqual({ count: 0, capped: false })
  })

  it('INSTALL of a location whose agency token is stored mints its token at once', async () => {
    const { worker, store } = await open()
    fake.installs.setLocations('comp_m', ['loc_m1'])
    await callback(fake.authorize({ userType: 'Company', ownerId: 'comp_m', companyId: 'comp_m' }))
    const eventId = await send({ type: 'INSTALL', locationId: 'loc_m1', companyId: 'comp_m' })
    await drainWorker(worker)
    expect((await lifecycleDelivery(eventId)).state).toBe('succeeded')
    expect(fake.installs.mints('loc_m1')).toBe(1)
    expect(await store.getGhlToken({ appId: APP, userType: 'Location', ownerId: 'loc_m1' })).toMatchObject({
      status: 'active',
      companyId: 'comp_m',
    })
  })

  it('agency UNINSTALL: the company token and every location token of it are revoked; later events are stored, flagged and not delivered', async () => {
    const { worker, store, ghlTokens } = await open()
    fake.installs.setLocations('comp_u', ['loc_u1', 'loc_u2'])
    const page = await callback(
      fake.authorize({ userType: 'Company', ownerId: 'comp_u', companyId: 'comp_u', bulk: true }),
    )
    expect(page.body).toContain('2 locations of the agency are recorded.')
    await ghlTokens!.accessToken('loc_u1')
    // A location installed on its own, under the same agency.
    await callback(fake.authorize({ ownerId: 'loc_u3', companyId: 'comp_u' }))
    await ghlTokens!.accessToken('loc_u3')

    const uninstall = await send({ type: 'UNINSTALL', companyId: 'comp_u' })
    await drainWorker(worker)
    expect((await lifecycleDelivery(uninstall)).state).toBe('succeeded')
    for (const [userType, ownerId] of [
      ['Company', 'comp_u'],
      ['Location', 'loc_u1'],
      ['Location', 'loc_u3'],
    ] as const) {
      expect(await store.getGhlToken({ appId: APP, userType, ownerId }), ownerId).toMatchObject({
        status: 'revoked',
      })
    }
    for (const location of ['loc_u1', 'loc_u2', 'loc_u3']) {
      await expect(ghlTokens!.accessToken(location), location).rejects.toBeInstanceOf(GhlReauthRequiredError)
    }
    const listed = await store.listGhlInstallations({
      appId: APP,
      limit: 10,
      companyId: 'comp_u',
      status: 'uninstalled',
    })
    expect(listed.items.map((i) => i.ownerId)).toEqual(['comp_u', 'loc_u1', 'loc_u2', 'loc_u3'])

    handled.length = 0
    const late = await send({ type: 'ContactCreate', locationId: 'loc_u2', id: 'contact_1' })
    expect((await store.getEvent(late))!.flags).toContain('location_uninstalled')
    expect(await store.eventDeliveries(late)).toEqual([])
    // Another location's events are delivered as always.
    const other = await send({ type: 'ContactCreate', locationId: 'loc_other', id: 'contact_2' })
    await drainWorker(worker)
    expect(handled).toEqual([other])
  })

  it('a location UNINSTALL revokes its token; an INSTALL received before it changes nothing; a new one installs again', async () => {
    const { worker, store, ghlTokens } = await open()
    await callback(fake.authorize({ ownerId: 'loc_l', companyId: 'comp_l' }))
    await send({ type: 'INSTALL', locationId: 'loc_l', companyId: 'comp_l' })
    await send({ type: 'UNINSTALL', locationId: 'loc_l' })
    // GHL promises no order, nor does the worker: whichever runs first, an INSTALL received before
    // the uninstall was applied is older news and leaves the location uninstalled.
    clock += 1
    await drainWorker(worker)
    const owner = { appId: APP, userType: 'Location' as const, ownerId: 'loc_l' }
    expect(await store.getGhlToken(owner)).toMatchObject({ status: 'revoked' })
    await expect(ghlTokens!.accessToken('loc_l')).rejects.toBeInstanceOf(GhlReauthRequiredError)
    expect((await store.getGhlInstallation(owner))!.uninstalledAt).not.toBeNull()

    clock += 1000
    await callback(fake.authorize({ ownerId: 'loc_l', companyId: 'comp_l' }))
    const again = await send({ type: 'INSTALL', locationId: 'loc_l', companyId: 'comp_l' })
    await drainWorker(worker)
    expect((await lifecycleDelivery(again)).state).toBe('succeeded')
    expect(await store.getGhlInstallation(owner)).toMatchObject({
      uninstalledAt: null,
      token: { status: 'active' },
    })
  })

  it('a tenant id set over the admin API is on the next handler’s envelope (tenant.tenantId)', async () => {
    const { worker } = await open()
    await callback(fake.authorize({ ownerId: 'loc_t', companyId: 'comp_t' }))
    tenants.length = 0
    await send({ type: 'ContactCreate', locationId: 'loc_t', id: 'contact_t1' })
    await drainWorker(worker)
    expect(tenants).toEqual([{ locationId: 'loc_t' }])
    const patched = await gateway!.app.fastify.inject({
      method: 'PATCH',
      url: '/api/installs/location/loc_t',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ tenantId: 'acme-7' }),
    })
    expect(patched.statusCode, patched.body).toBe(200)
    await send({ type: 'ContactCreate', locationId: 'loc_t', id: 'contact_t2' })
    await send({ type: 'ContactCreate', locationId: 'loc_other', id: 'contact_t3' })
    await drainWorker(worker)
    expect(tenants.slice(1)).toEqual(
      expect.arrayContaining([{ locationId: 'loc_t', tenantId: 'acme-7' }, { locationId: 'loc_other' }]),
    )
    expect(tenants).toHaveLength(3)
  })

  it('a user handler cannot take the gateway’s own subscriber id', async () => {
    const registry = new SubscriberRegistry()
    registry.add({
      id: GHL_LIFECYCLE_SUBSCRIBER,
      kind: 'handler',
      events: ['*'],
      retry: retryPolicy(),
      concurrency: 1,
      timeoutMs: 1000,
      run: async () => ({ outcome: 'success' }),
    })
    await expect(
      assembleForTest(
        kind,
        {
          GHL_CLIENT_ID: fake.clientId,
          GHL_CLIENT_SECRET: fake.clientSecret,
          GHL_API_URL: fake.url,
          GHL_TOKEN_KEY: KEY,
          GHL_APP_ID: APP,
        },
        { registry },
      ),
    ).rejects.toThrow('the handler id "ghl:installs" is the gateway\'s own')
  })
})
