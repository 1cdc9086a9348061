import { randomBytes, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GhlRateLimitedError } from '../src/ghl/errors.js'
import { createGhlOAuthClient } from '../src/ghl/oauth-client.js'
import { parseTokenKeys } from '../src/ghl/token-keys.js'
import { GhlTokens } from '../src/ghl/tokens.js'
import { createGateway, type Gateway, type HandlerContext } from '../src/index.js'
import { createLogger } from '../src/observe/logger.js'
import { openStore } from '../src/store/open-store.js'
import type { Attempt, Delivery } from '../src/store/types.js'
import { freshPostgresDatabase, freshSqliteFile } from './support/databases.js'
import { createEngine, type Engine } from './support/engine.js'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'
import type { StoreKind } from './support/test-app.js'
import { ed25519Signature, testEd25519Key } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * A wait on GHL's rate limit is a deferral, not a failed attempt (src/dispatch/retry-policy.ts,
 * decideDeferral): it uses no attempt, is not bound by `retry.maxAge`, and dies only once the cycle
 * is older than max(maxAge, 8 days). First on the processing engine with a fixed clock (a handler's
 * GHL call refused by the limiter), then end to end through `ctx.ghl` against the fake GHL.
 */

const SECOND = 1000
const DAY = 86_400_000

describe.each<StoreKind>(['sqlite', 'postgres'])('rate-limit deferrals on the engine (%s)', (kind) => {
  let engine: Engine
  afterEach(async () => {
    await engine?.close()
  })

  it('25 refusals by the rate limiter use up no attempts (maxAttempts 3): it succeeds when the limit frees, while an ordinary failure still dies after 3', async () => {
    engine = await createEngine(kind, {}, () => 1)
    const seenAttempts: number[] = []
    let refusals = 0
    engine.handle(
      'importer',
      ['ContactCreate'],
      async (_event, ctx) => {
        seenAttempts.push(ctx.attempt)
        if (refusals < 25) {
          refusals++
          throw new GhlRateLimitedError('the location’s burst is spent', 2 * SECOND, 'burst')
        }
      },
      { retry: { minDelay: SECOND, maxDelay: SECOND, maxAttempts: 3 } },
    )
    engine.handle(
      'failing',
      ['ContactCreate'],
      async () => {
        throw new Error('upstream down')
      },
      { retry: { minDelay: SECOND, maxDelay: SECOND, maxAttempts: 3 } },
    )
    const eventId = await engine.send()
    for (let round = 0; round < 30; round++) {
      await engine.drain()
      engine.clock.advance(2 * SECOND)
    }
    const by = Object.fromEntries(
      (await engine.store.eventDeliveries(eventId)).map((d) => [d.subscriberId, d]),
    )
    expect(by.importer).toMatchObject({ state: 'succeeded', attempts: 1, totalAttempts: 26 })
    expect(seenAttempts).toEqual(Array(26).fill(1))
    const waits = by.importer!.attemptHistory.slice(0, 25)
    expect(waits).toHaveLength(25)
    for (const wait of waits) {
      expect(wait).toMatchObject({ number: 1, outcome: 'retry' })
      expect(wait.errorMessage).toMatch(/deferred by GHL's rate limit: not counted as an attempt/)
    }
    // Regression: an ordinary failure counts every attempt, as before.
    expect(by.failing).toMatchObject({ state: 'dead', attempts: 3, totalAttempts: 3 })
    expect(by.failing!.lastError).toMatch(/gave up after 3 attempts/)
    const metrics = await engine.app.fastify.inject({
      url: '/metrics',
      headers: { authorization: 'Bearer engine-admin-token' },
    })
    expect(metrics.body).toContain(
      'ghl_gateway_delivery_attempts_total{subscriber="importer",outcome="deferred"} 25',
    )
    expect(metrics.body).toContain(
      'ghl_gateway_delivery_attempts_total{subscriber="failing",outcome="retry_scheduled"} 2',
    )
  })

  it('a spent day waits past retry.maxAge until the reset; still refused 8 days after its cycle began, it is dead-lettered saying why', async () => {
    engine = await createEngine(kind)
    engine.handle(
      'daily',
      ['ContactCreate'],
      async () => {
        throw new GhlRateLimitedError('the location’s day is spent', DAY, 'daily')
      },
      { retry: { maxAge: '1m' } },
    )
    const eventId = await engine.send()
    const started = engine.clock.now
    await engine.drain()
    let [delivery] = await engine.store.eventDeliveries(eventId)
    // Far past its 1-minute maxAge, and not dead: it waits for the reset.
    expect(delivery).toMatchObject({ state: 'retry_scheduled', runAt: started + DAY, attempts: 0 })
    for (let day = 1; day <= 7; day++) {
      engine.clock.advance(DAY)
      expect(await engine.drain()).toBe(1)
      ;[delivery] = await engine.store.eventDeliveries(eventId)
      expect(delivery, `day ${day}`).toMatchObject({ state: 'retry_scheduled', attempts: 0 })
    }
    // Day 8: the next wait would end 8 days after the cycle began — the bound.
    expect(delivery!.runAt - started).toBe(8 * DAY)
    engine.clock.advance(DAY)
    expect(await engine.drain()).toBe(1)
    ;[delivery] = await engine.store.eventDeliveries(eventId)
    expect(delivery).toMatchObject({ state: 'dead', totalAttempts: 9 })
    expect(delivery!.lastError).toMatch(
      /GhlRateLimitedError: the location’s day is spent .*\(still deferred by GHL's rate limit 8 days after the cycle started/,
    )
  })
})

const APP = 'app_deferral_test'
const LOCATION = 'loc_deferral'
const signingKey = testEd25519Key()
const tokenKey = randomBytes(32).toString('base64')

describe.each<StoreKind>(['sqlite', 'postgres'])('rate-limit deferrals through ctx.ghl (%s)', (kind) => {
  let database: { url: string; cleanup(): Promise<void> }
  let fake: FakeGhl
  let gw: Gateway | undefined
  let url: string

  beforeEach(async () => {
    if (kind === 'sqlite') {
      const file = freshSqliteFile()
      database = { url: file.url, cleanup: async () => file.remove() }
    } else {
      const pg = await freshPostgresDatabase()
      database = { url: pg.url, cleanup: pg.drop }
    }
    fake = await startFakeGhl()
  })

  afterEach(async () => {
    await gw?.close()
    gw = undefined
    await fake.close()
    await database.cleanup()
  })

  /** The app installed on LOCATION (as the callback does), then a gateway with one handler. */
  async function start(
    handler: (ctx: HandlerContext) => Promise<void>,
    retry: { maxAttempts?: number; maxAge?: string },
  ) {
    const keys = parseTokenKeys(tokenKey)
    if ('problem' in keys) throw new Error(keys.problem)
    const store = openStore({ url: database.url })
    const oauth = createGhlOAuthClient({
      apiUrl: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
    })
    try {
      await store.migrate()
      const logger = createLogger({ level: 'silent' })
      const tokens = new GhlTokens({ store, keys, oauth, appId: APP, logger })
      const grant = await oauth.exchangeCode(fake.authorize({ ownerId: LOCATION }), {})
      await tokens.saveGrant(tokens.owner(LOCATION), grant, 'comp_1')
    } finally {
      await oauth.close()
      await store.close()
    }
    gw = createGateway({
      database: database.url,
      env: {
        GHL_ED25519_PUBLIC_KEYS: signingKey.spki,
        GHL_CLIENT_ID: fake.clientId,
        GHL_CLIENT_SECRET: fake.clientSecret,
        GHL_API_URL: fake.url,
        GHL_TOKEN_KEY: tokenKey,
        GHL_APP_ID: APP,
        WORKER_POLL_INTERVAL: '50',
      },
      logger: createLogger({ level: 'silent' }),
    })
    gw.on('ContactCreate', (_event, ctx) => handler(ctx), {
      id: 'importer',
      retry: { minDelay: 50, maxDelay: 100, ...retry },
    })
    url = (await gw.listen({ port: 0, host: '127.0.0.1' })).url
  }

  async function send(id: string): Promise<string> {
    const payload = JSON.stringify({
      type: 'ContactCreate',
      id,
      locationId: LOCATION,
      webhookId: randomUUID(),
    })
    const answer = await fetch(`${url}/webhooks/ghl`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(signingKey.privateKey, payload),
      },
      body: payload,
    })
    expect(answer.status).toBe(200)
    return ((await answer.json()) as { eventId: string }).eventId
  }

  async function delivery(eventId: string): Promise<Delivery & { attemptHistory: Attempt[] }> {
    return (await gw!.running!.store.eventDeliveries(eventId))[0]!
  }

  it('GHL answers 429 25 times (maxAttempts 3): the delivery waits each time and succeeds when the limit frees, not dead', async () => {
    const seenAttempts: number[] = []
    await start(
      async (ctx) => {
        seenAttempts.push(ctx.attempt)
        await ctx.ghl.contacts.addTags('c1', ['imported'])
      },
      { maxAttempts: 3 },
    )
    fake.api.fault(
      ...Array.from({ length: 25 }, () => ({
        kind: 'status' as const,
        status: 429,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-interval-milliseconds': '20' },
      })),
    )
    const eventId = await send('c1')
    await until(
      async () => ['succeeded', 'dead'].includes((await delivery(eventId)).state),
      'the delivery to finish',
      15_000,
    )
    const done = await delivery(eventId)
    expect(done).toMatchObject({ state: 'succeeded', attempts: 1, totalAttempts: 26 })
    expect(seenAttempts).toEqual(Array(26).fill(1))
    expect(fake.api.limited(LOCATION)).toBe(25)
    expect(done.attemptHistory.slice(0, 25).map((a) => a.errorMessage)).toEqual(
      Array(25).fill(
        expect.stringMatching(/^GhlRateLimitedError: GHL answered 429 .*deferred by GHL's rate limit/),
      ),
    )
    expect(fake.api.contact('c1')?.tags).toEqual(['imported'])
  }, 30_000)

  it('a location whose day is spent: its delivery waits for the UTC reset past its maxAge, not dead', async () => {
    await start(
      async (ctx) => {
        await ctx.ghl.contacts.addTags(ctx.eventId, ['imported'])
      },
      { maxAge: '1s' },
    )
    // The first call spends the day (GHL answers it with X-RateLimit-Daily-Remaining: 0).
    fake.api.setDailyLimit(1)
    const first = await send('c1')
    await until(async () => (await delivery(first)).state === 'succeeded', 'the first call', 15_000)
    const second = await send('c2')
    await until(
      async () => (await delivery(second)).attemptHistory.length >= 1,
      'the refused attempt',
      15_000,
    )
    const waiting = await delivery(second)
    const midnight = (Math.floor(Date.now() / DAY) + 1) * DAY
    expect(waiting).toMatchObject({ state: 'retry_scheduled', attempts: 0 })
    expect(waiting.runAt).toBeGreaterThan(midnight - 5000)
    expect(waiting.runAt).toBeLessThanOrEqual(midnight + 5000)
    expect(waiting.lastError).toMatch(/GhlRateLimitedError: .*deferred by GHL's rate limit/)
  }, 30_000)
})
