import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createGhlOAuthClient } from '../src/ghl/oauth-client.js'
import { parseTokenKeys } from '../src/ghl/token-keys.js'
import { GhlTokens } from '../src/ghl/tokens.js'
import { createLogger } from '../src/observe/logger.js'
import { openStore } from '../src/store/open-store.js'
import { freshPostgresDatabase, freshSqliteFile } from './support/databases.js'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'
import {
  createTestKeyPair,
  type GatewayProcess,
  postWebhook,
  signedWebhook,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from './support/gateway-process.js'
import type { StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * GHL's rate limits across gateway processes, end to end through handlers: two OS processes on one
 * database, each handler making one GHL call with `ctx.ghl` (the API client acquiring from the shared
 * limiter, src/ghl/shared-rate-limiter.ts), against the fake GHL (test/support/fake-ghl-api.ts),
 * which answers 429 beyond 100 calls in any sliding 10 s and sends `X-RateLimit-*` headers. GHL's own
 * scale and the default settings (90 per 10 s): 300 calls take ~30 s, both stores at once.
 */

const keys = createTestKeyPair()

/** Posts `count` ContactCreate webhooks for `location`, 8 at a time, to the processes in turn. */
async function sendContacts(gateways: GatewayProcess[], location: string, count: number, first = 0) {
  let next = 0
  const lane = async () => {
    for (let i = first + next++; i < first + count; i = first + next++) {
      const webhook = signedWebhook(keys.privateKey, {
        type: 'ContactCreate',
        id: `${location}:c${i}`,
        locationId: location,
        webhookId: crypto.randomUUID(),
      })
      const answer = await postWebhook(gateways[i % gateways.length]!.url, webhook)
      expect(answer.status).toBe(200)
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane))
}

afterAll(async () => {
  await stopAllGatewayProcesses()
})

const ENTRY = fileURLToPath(new URL('./support/ghl-api-gateway.mjs', import.meta.url))
const APP = 'app_limits'
const TOKEN_KEY = randomBytes(32).toString('base64')

/** The app installed on `locationId`: GHL's code exchanged and the pair stored, as the callback does. */
async function install(databaseUrl: string, fake: FakeGhl, locationId: string) {
  const keys = parseTokenKeys(TOKEN_KEY)
  if ('problem' in keys) throw new Error(keys.problem)
  const store = openStore({ url: databaseUrl })
  const oauth = createGhlOAuthClient({
    apiUrl: fake.url,
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
  })
  try {
    await store.migrate()
    const tokens = new GhlTokens({
      store,
      keys,
      oauth,
      appId: APP,
      logger: createLogger({ level: 'silent' }),
    })
    const grant = await oauth.exchangeCode(fake.authorize({ ownerId: locationId }), {})
    await tokens.saveGrant(tokens.owner(locationId), grant, 'comp_1')
  } finally {
    await oauth.close()
    await store.close()
  }
}

async function handlerScenario(kind: StoreKind) {
  const fake = await startFakeGhl()
  const database =
    kind === 'sqlite'
      ? (() => {
          const file = freshSqliteFile()
          return { url: file.url, drop: async () => file.remove() }
        })()
      : await freshPostgresDatabase()
  const env = {
    GHL_CLIENT_ID: fake.clientId,
    GHL_CLIENT_SECRET: fake.clientSecret,
    GHL_API_URL: fake.url,
    GHL_TOKEN_KEY: TOKEN_KEY,
    GHL_APP_ID: APP,
    WORKER_POLL_INTERVAL: '100ms',
    PG_POOL_SIZE: '6',
  }
  const gateways: GatewayProcess[] = []
  try {
    for (let i = 0; i < 2; i++)
      gateways.push(
        // info: the deferral lines tell which process waited for GHL's pause (step 2).
        await startGatewayProcess({
          databaseUrl: database.url,
          keyPair: keys,
          entry: ENTRY,
          env,
          logLevel: 'info',
        }),
      )
    for (const location of ['loc_burst', 'loc_fault', 'loc_daily'])
      await install(database.url, fake, location)
    const pidOf = (query: string) => new URLSearchParams(query).get('pid')
    const calls = (location: string) => fake.api.log.filter((r) => r.locationId === location)
    const served = (location: string) =>
      new Set(
        calls(location)
          .filter((r) => r.status === 200)
          .map((r) => r.path),
      ).size

    // 1. 300 handler calls for one location (defaults: 90 per 10 s): never over 100 in any 10 s at
    // GHL, no 429, both processes calling.
    await sendContacts(gateways, 'loc_burst', 300)
    await until(() => served('loc_burst') === 300, `${kind}: 300 calls served`, 60_000)
    expect(fake.api.limited('loc_burst'), kind).toBe(0)
    expect(fake.api.maxInWindow('loc_burst'), kind).toBeLessThanOrEqual(100)
    expect(fake.api.maxInWindow('loc_burst'), kind).toBeGreaterThanOrEqual(85)
    expect(new Set(calls('loc_burst').map((r) => pidOf(r.query))).size, kind).toBe(2)

    // 2. GHL answers one call with 429 (remaining 0, a 3-s interval): both processes stop for it.
    // The first webhook meets the 429 in the first process; the other 39 arrive at both during the
    // pause. (Sent all at once, one process could take every delivery and the other have nothing
    // to wait for: CI's machine saw all 40 calls from one process.)
    fake.api.fault({
      kind: 'status',
      status: 429,
      locationId: 'loc_fault',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-interval-milliseconds': '3000' },
    })
    const deferrals = (g: GatewayProcess) =>
      g.jsonLogs().filter((line) => /deferred by GHL's rate limit/.test(String(line.msg))).length
    const deferredBefore = gateways.map(deferrals)
    await sendContacts(gateways, 'loc_fault', 1)
    await until(() => fake.api.limited('loc_fault') === 1, `${kind}: the 429`, 10_000)
    await sendContacts(gateways, 'loc_fault', 39, 1)
    await until(() => served('loc_fault') === 40, `${kind}: the calls after the 429 served`, 30_000)
    const limited = calls('loc_fault').find((r) => r.status === 429)!
    // Neither process called during the pause; each had work waiting for it (its deferral lines).
    expect(
      calls('loc_fault').filter((r) => r.at > limited.at + 500 && r.at < limited.at + 2800),
      kind,
    ).toEqual([])
    expect(
      gateways.map((g, i) => deferrals(g) > deferredBefore[i]!),
      `${kind}: each process deferred`,
    ).toEqual([true, true])
    expect(calls('loc_fault').filter((r) => r.at >= limited.at + 2800).length, kind).toBeGreaterThan(0)
    expect(fake.api.limited('loc_fault'), kind).toBe(1)

    // 3. The day's calls spent: GHL announces a daily limit of 4, which the gateway keeps with its
    // margin (floor(4 × 0.95) = 3). After three calls the location's deliveries wait, none dies.
    fake.api.setDailyLimit(4)
    const store = openStore({ url: database.url })
    try {
      await sendContacts(gateways, 'loc_daily', 3)
      await until(() => served('loc_daily') === 3, `${kind}: the first three daily calls`, 20_000)
      const owner = { appId: APP, userType: 'Location', ownerId: 'loc_daily' } as const
      // What the gateways ask with (the defaults): refused once the announced limit is recorded.
      const refused = async () =>
        !(await store.takeGhlRateSlot(owner, { burst: 90, windowMs: 10_000, daily: 190_000 }, Date.now()))
          .granted
      await expect.poll(refused, { timeout: 10_000 }).toBe(true)
      await sendContacts(gateways, 'loc_daily', 5, 3)
      const waiting = async () =>
        (await store.listDeliveries({ tenantId: 'loc_daily', states: ['retry_scheduled'] }, { limit: 20 }))
          .items
      await expect.poll(async () => (await waiting()).length, { timeout: 20_000 }).toBe(5)
      expect(served('loc_daily'), kind).toBe(3)
      const midnight = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000
      for (const delivery of await waiting()) {
        expect(delivery.runAt, kind).toBeGreaterThan(midnight - 5000)
        expect(delivery.runAt, kind).toBeLessThanOrEqual(midnight + 5000)
      }
      expect(
        (await store.listDeliveries({ tenantId: 'loc_daily', states: ['dead'] }, { limit: 20 })).items,
      ).toEqual([])
    } finally {
      await store.close()
    }
  } finally {
    await Promise.all(gateways.map((g) => g.stop()))
    await fake.close()
    await database.drop()
  }
}

// Both stores at once (~45 s together): each run is rate-bound (~30 s for 300 calls at 90 per 10 s).
describe('GHL rate limits through ctx.ghl, two gateway processes per store', () => {
  it('300 handler calls for one location: never more than 100 in any 10 s and no 429; a 429 pauses both processes; a spent day makes deliveries wait — on SQLite and PostgreSQL', async () => {
    await Promise.all((['sqlite', 'postgres'] as const).map((kind) => handlerScenario(kind)))
  }, 150_000)
})
