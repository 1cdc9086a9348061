import { randomBytes, randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createGhlOAuthClient, type GhlOAuthClient } from '../src/ghl/oauth-client.js'
import { parseTokenKeys } from '../src/ghl/token-keys.js'
import { GhlTokens } from '../src/ghl/tokens.js'
import {
  createGateway,
  type Gateway,
  type GhlCallRecord,
  GhlNotConfiguredError,
  GhlSdkMissingError,
  type HandlerContext,
} from '../src/index.js'
import { createLogger } from '../src/observe/logger.js'
import { openStore } from '../src/store/open-store.js'
import type { Attempt, Delivery, Store } from '../src/store/types.js'
import { runCli, tempDir } from './cli/run-cli.js'
import { freshPostgresDatabase, freshSqliteFile } from './support/databases.js'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'
import { ed25519Signature, testEd25519Key } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * `ctx.ghl` and `gw.ghl()` against the fake GHL (test/support/fake-ghl-api.ts), with a real gateway,
 * a library handler and both stores: bearer and Version on the wire, the one refresh after a 401,
 * what a 429, a 5xx or a revoked token does to the delivery, the attempt log, and no token in logs
 * or attempt records.
 */

const APP = 'app_api_test'
const LOCATION = 'loc_api'
const signingKey = testEd25519Key()
const tokenKey = randomBytes(32).toString('base64')
const ADMIN_TOKEN = 'admin-token-for-ghl-api-tests'
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }

type Kind = 'sqlite' | 'postgres'

async function freshDatabase(kind: Kind): Promise<{ url: string; cleanup(): Promise<void> }> {
  if (kind === 'sqlite') {
    const file = freshSqliteFile()
    return { url: file.url, cleanup: async () => file.remove() }
  }
  const database = await freshPostgresDatabase()
  return { url: database.url, cleanup: database.drop }
}

describe.each<Kind>(['sqlite', 'postgres'])('GHL API calls (%s)', (kind) => {
  let database: Awaited<ReturnType<typeof freshDatabase>>
  let fake: FakeGhl
  let gw: Gateway | undefined
  let url: string
  let logs: string
  let sibling: Store | undefined
  let oauth: GhlOAuthClient | undefined
  let handler: (ctx: HandlerContext) => Promise<void>
  const seenTokens: string[] = []

  beforeEach(async () => {
    database = await freshDatabase(kind)
    fake = await startFakeGhl()
    logs = ''
    handler = async () => {}
    seenTokens.length = 0
  })

  afterEach(async () => {
    await gw?.close()
    gw = undefined
    await sibling?.close()
    await oauth?.close()
    sibling = undefined
    oauth = undefined
    await fake.close()
    await database.cleanup()
  })

  const env = (extra: Record<string, string> = {}) => ({
    GHL_ED25519_PUBLIC_KEYS: signingKey.spki,
    GHL_CLIENT_ID: fake.clientId,
    GHL_CLIENT_SECRET: fake.clientSecret,
    GHL_API_URL: fake.url,
    GHL_TOKEN_KEY: tokenKey,
    GHL_APP_ID: APP,
    WORKER_POLL_INTERVAL: '50',
    ADMIN_TOKEN,
    ...extra,
  })

  async function start(extra: Record<string, string> = {}) {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logs += chunk.toString()
        done()
      },
    })
    gw = createGateway({
      database: database.url,
      env: env(extra),
      logger: createLogger({ level: 'debug', destination }),
    })
    gw.on('ContactCreate', (_event, ctx) => handler(ctx), {
      id: 'scorer',
      retry: { minDelay: 50, maxDelay: 100, maxAttempts: 5 },
    })
    url = (await gw.listen({ port: 0, host: '127.0.0.1' })).url
  }

  /** The app installed on LOCATION: GHL's code exchanged and stored, as the callback route does. */
  async function install(locationId = LOCATION) {
    const keys = parseTokenKeys(tokenKey)
    if ('problem' in keys) throw new Error(keys.problem)
    const store = openStore({ url: database.url })
    sibling = store
    await store.migrate()
    const client = createGhlOAuthClient({
      apiUrl: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
    })
    oauth = client
    const logger = createLogger({ level: 'silent' })
    const tokens = new GhlTokens({ store, keys, oauth: client, appId: APP, logger })
    const grant = await client.exchangeCode(fake.authorize({ ownerId: locationId }), {})
    await tokens.saveGrant(tokens.owner(locationId), grant, 'comp_1')
    seenTokens.push(grant.accessToken, grant.refreshToken)
    return { tokens, grant }
  }

  async function send(body: Record<string, unknown>): Promise<string> {
    const payload = JSON.stringify({ type: 'ContactCreate', id: 'c1', webhookId: randomUUID(), ...body })
    const answer = await fetch(`${url}/webhooks/ghl`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(signingKey.privateKey, payload),
      },
      body: payload,
    })
    expect(answer.status).toBe(200)
    const { eventId } = (await answer.json()) as { eventId: string }
    return eventId
  }

  async function delivery(eventId: string): Promise<(Delivery & { attemptHistory: Attempt[] }) | undefined> {
    return (await gw!.running!.store.eventDeliveries(eventId))[0]
  }

  async function settled(eventId: string, state: string, attempts = 1) {
    let last: Awaited<ReturnType<typeof delivery>>
    await until(
      async () => {
        last = await delivery(eventId)
        return last?.state === state && last.attemptHistory.length >= attempts
      },
      `delivery ${state} after ${attempts} attempt(s)`,
      15_000,
    )
    return last!
  }

  const ghlCallsOf = (attempt: Attempt) =>
    (attempt.response as { ghlCalls?: GhlCallRecord[] } | null)?.ghlCalls ?? []

  it('ctx.ghl.contacts.addNote reaches GHL with the location bearer and the operation Version, and the attempt shows the call', async () => {
    const { grant } = await install()
    handler = async (ctx) => {
      await ctx.ghl.contacts.addNote('c1', 'scored 42')
    }
    await start()
    const eventId = await send({ locationId: LOCATION })
    const done = await settled(eventId, 'succeeded')
    const call = fake.api.log.find((r) => r.path === '/contacts/c1/notes')
    expect(call).toMatchObject({
      method: 'POST',
      locationId: LOCATION,
      version: '2021-07-28',
      authorization: `Bearer ${grant.accessToken}`,
      status: 201,
    })
    expect(fake.api.contact('c1')?.notes.map((n) => n.body)).toEqual(['scored 42'])
    expect(ghlCallsOf(done.attemptHistory[0]!)).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: '/contacts/c1/notes',
        status: 201,
        operation: 'contacts.addNote',
      }),
    ])
    // The admin API shows it too.
    const api = await gw!.running!.app.fastify.inject({ url: `/api/deliveries/${done.id}`, headers: admin })
    const json = api.json() as { attemptHistory: { ghlCalls?: unknown[]; response: unknown }[] }
    expect(json.attemptHistory[0]).toMatchObject({
      response: null,
      ghlCalls: [expect.objectContaining({ status: 201 })],
    })
    const metrics = await gw!.running!.app.fastify.inject({ url: '/metrics', headers: admin })
    expect(metrics.body).toMatch(
      /ghl_gateway_ghl_api_calls_total\{status_class="2xx",operation="contacts.addNote"\} 1/,
    )
  })

  it('a 401 once: one refresh and the same call again succeeds', async () => {
    const { grant } = await install()
    handler = async (ctx) => {
      await ctx.ghl.contacts.addTags('c1', ['hot'])
    }
    await start()
    fake.api.fault({ kind: 'status', status: 401, body: { statusCode: 401, message: 'Invalid JWT' } })
    const done = await settled(await send({ locationId: LOCATION }), 'succeeded')
    expect(done.attemptHistory).toHaveLength(1)
    expect(fake.refreshes(grant.refreshToken)).toBe(1)
    const calls = fake.api.log.filter((r) => r.path === '/contacts/c1/tags')
    expect(calls.map((c) => c.status)).toEqual([401, 201])
    expect(calls[1]!.authorization).toBe(`Bearer ${fake.current(LOCATION)!.accessToken}`)
    expect(fake.api.contact('c1')?.tags).toEqual(['hot'])
    seenTokens.push(fake.current(LOCATION)!.accessToken, fake.current(LOCATION)!.refreshToken)
    expect(ghlCallsOf(done.attemptHistory[0]!).map((c) => c.status)).toEqual([401, 201])
  })

  it('a 429 from GHL: the delivery is retried after the delay GHL asked for, not dead-lettered', async () => {
    await install()
    handler = async (ctx) => {
      await ctx.ghl.contacts.update('c1', { customFields: [{ key: 'score', field_value: '42' }] })
    }
    await start()
    fake.api.fault({ kind: 'status', status: 429, headers: { 'retry-after': '1' } })
    const eventId = await send({ locationId: LOCATION })
    const waiting = await settled(eventId, 'retry_scheduled')
    const first = waiting.attemptHistory[0]!
    expect(first.errorClass).toBe('RetryableError')
    expect(first.errorMessage).toMatch(/^GhlRateLimitedError: GHL answered 429 to PUT \/contacts\/c1/)
    // Retry-After: 1 → the next run about a second after the attempt (not the 50 ms backoff).
    expect(waiting.runAt - (first.startedAt + first.durationMs)).toBeGreaterThanOrEqual(900)
    const done = await settled(eventId, 'succeeded', 2)
    expect(done.attemptHistory).toHaveLength(2)
    expect(fake.api.contact('c1')?.fields.customFields).toEqual([{ key: 'score', field_value: '42' }])
  })

  it('a 5xx is retried; a revoked token dead-letters the delivery with the reason', async () => {
    const { tokens } = await install()
    handler = async (ctx) => {
      await ctx.ghl.opportunities.updateStatus('o1', 'won')
    }
    await start()
    fake.api.fault({ kind: 'status', status: 502, body: { message: 'Bad Gateway' } })
    const retried = await settled(await send({ locationId: LOCATION }), 'succeeded', 2)
    expect(retried.attemptHistory[0]!.errorMessage).toMatch(
      /^GhlApiRetryableError: GHL answered 502 to PUT \/opportunities\/o1\/status/,
    )
    expect(fake.api.opportunity('o1')?.status).toBe('won')

    await sibling!.setGhlTokenStatus(tokens.owner(LOCATION), 'revoked', 'the app was uninstalled', Date.now())
    const dead = await settled(await send({ locationId: LOCATION, id: 'c2' }), 'dead')
    expect(dead.attemptHistory).toHaveLength(1)
    expect(dead.lastError).toMatch(/PermanentError: GhlReauthRequiredError: the GHL token of .* is revoked/)
  })

  it('a handler that never touches ctx.ghl costs no token lookup; the attempt log keeps the last 20 calls', async () => {
    // The default handler does nothing.
    await start()
    // No install: a token lookup would fail the delivery.
    const quiet = await settled(await send({ locationId: 'loc_never_installed' }), 'succeeded')
    expect(quiet.attemptHistory[0]!.response).toBeNull()
    expect(fake.api.log).toHaveLength(0)

    await install()
    handler = async (ctx) => {
      for (let i = 1; i <= 25; i++) await ctx.ghl.request({ method: 'GET', path: `/contacts/c${i}` })
    }
    const busy = await settled(await send({ locationId: LOCATION }), 'succeeded')
    const calls = ghlCallsOf(busy.attemptHistory[0]!)
    expect(calls.map((c) => c.path)).toEqual(Array.from({ length: 20 }, (_, i) => `/contacts/c${i + 6}`))
  })

  it('an event without a location: using ctx.ghl dead-letters it with a clear message', async () => {
    handler = async (ctx) => {
      await ctx.ghl.contacts.get('c1')
    }
    await start()
    const dead = await settled(await send({}), 'dead')
    expect(dead.lastError).toMatch(/ctx\.ghl: event .* names no locationId or companyId/)
    expect(fake.api.log).toHaveLength(0)
  })

  it('gw.ghl(location).request works outside handlers; 4xx is a permanent error; no token in logs or records', async () => {
    const { grant } = await install()
    await start()
    const client = gw!.ghl(LOCATION)
    const answer = await client.request<{ contact: { id: string } }>({ method: 'GET', path: '/contacts/c9' })
    expect(answer.status).toBe(200)
    expect(answer.data.contact.id).toBe('c9')
    expect(answer.headers['x-ratelimit-max']).toBe('100')
    // A Version override goes on the wire as given (and the fake refuses it for contacts).
    await expect(
      client.request({ method: 'GET', path: '/contacts/c9', version: '2021-04-15' }),
    ).rejects.toMatchObject({ name: 'GhlApiPermanentError', status: 400 })
    expect(fake.api.log.at(-1)?.version).toBe('2021-04-15')
    await expect(client.sdk()).rejects.toBeInstanceOf(GhlSdkMissingError)
    expect(logs.length).toBeGreaterThan(0)
    for (const token of [...seenTokens, grant.accessToken]) {
      expect(logs.includes(token), 'a token in the logs').toBe(false)
    }
    const rows = await gw!.running!.store.eventDeliveries('none')
    expect(rows).toEqual([])
  })

  it('POST /api/ghl/call and `ghl-gateway ghl call` show what GHL answers, behind the admin token', async () => {
    await install()
    await start()
    const inject = (payload: unknown, headers: Record<string, string> = admin) =>
      gw!.running!.app.fastify.inject({
        method: 'POST',
        url: '/api/ghl/call',
        headers,
        payload: payload as object,
      })
    expect((await inject({ locationId: LOCATION, method: 'GET', path: '/contacts/c1' }, {})).statusCode).toBe(
      401,
    )
    const ok = await inject({ locationId: LOCATION, method: 'GET', path: '/contacts/c1' })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({
      status: 200,
      version: '2021-07-28',
      rateLimit: { 'x-ratelimit-max': '100' },
      data: { contact: { id: 'c1' } },
    })
    // GHL's refusal is an answer, not an error of ours.
    const refused = await inject({ locationId: LOCATION, method: 'GET', path: '/contacts/c1', version: 'v9' })
    expect(refused.json()).toMatchObject({ status: 400, version: 'v9' })
    const missing = await inject({ locationId: 'loc_nowhere', method: 'GET', path: '/contacts/c1' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('ghl_not_installed')
    expect((await inject({ method: 'GET', path: '/contacts/c1' })).statusCode).toBe(400)

    const cwd = tempDir()
    try {
      const cli = (...args: string[]) =>
        runCli(['ghl', 'call', ...args, '--url', url], { cwd: cwd.path, env: { ADMIN_TOKEN } })
      const note = await cli(LOCATION, 'post', '/contacts/c1/notes', '--data', '{"body":"from the CLI"}')
      expect(note.stderr).toMatch(
        /GHL answered 201 \(Version 2021-07-28, .* ms, \d+ calls left in this 10 s window\)/,
      )
      expect(JSON.parse(note.stdout)).toMatchObject({ note: { body: 'from the CLI' } })
      expect(note.code).toBe(0)
      const wrong = await cli(LOCATION, 'GET', '/contacts/c1', '--api-version', 'v9', '--json')
      expect(wrong.code).toBe(1)
      expect(JSON.parse(wrong.stdout)).toMatchObject({ status: 400 })
    } finally {
      cwd.remove()
    }
  })

  it('no token in the attempt records of calls that failed', async () => {
    const { grant } = await install()
    handler = async (ctx) => {
      await ctx.ghl.request({ method: 'GET', path: '/contacts/c1', query: { q: 'x' } })
    }
    await start()
    fake.api.fault({ kind: 'status', status: 401 }, { kind: 'status', status: 401 })
    const dead = await settled(await send({ locationId: LOCATION }), 'dead')
    expect(dead.lastError).toMatch(/GhlApiPermanentError: GHL answered 401 to GET \/contacts\/c1/)
    const record = JSON.stringify(dead)
    for (const token of [grant.accessToken, grant.refreshToken, fake.current(LOCATION)!.accessToken]) {
      expect(record.includes(token)).toBe(false)
      expect(logs.includes(token)).toBe(false)
    }
    expect(record.includes('q=x')).toBe(false)
  })
})

describe('gw.ghl without a GHL app', () => {
  it('says which settings are missing', async () => {
    const file = freshSqliteFile()
    const gw = createGateway({
      database: file.url,
      env: { LOG_LEVEL: 'silent', GHL_ED25519_PUBLIC_KEYS: signingKey.spki },
    })
    try {
      expect(() => gw.ghl('loc')).toThrow(/once the gateway started: await gw.start\(\) or gw.listen\(\)/)
      await gw.listen({ port: 0, host: '127.0.0.1' })
      expect(() => gw.ghl('loc')).toThrow(GhlNotConfiguredError)
      expect(() => gw.ghl('loc')).toThrow(/GHL_CLIENT_ID/)
    } finally {
      await gw.close()
      file.remove()
    }
  })
})
