import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkGhlTokens } from '../src/cli/doctor/ghl-token-checks.js'
import { loadConfig } from '../src/config/index.js'
import { ConfigError } from '../src/config-error.js'
import { GhlNotInstalledError, GhlReauthRequiredError } from '../src/ghl/errors.js'
import { createGhlOAuthClient } from '../src/ghl/oauth-client.js'
import { parseTokenKeys, type TokenKeyRing } from '../src/ghl/token-keys.js'
import { GhlTokens } from '../src/ghl/tokens.js'
import { createLogger } from '../src/observe/logger.js'
import { openStore } from '../src/store/open-store.js'
import type { Store } from '../src/store/types.js'
import { assembleForTest, type TestAssembly } from './support/assembly.js'
import { freshPostgresDatabase, freshSqliteFile } from './support/databases.js'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'
import { until } from './support/until.js'

/**
 * Private Integration Tokens (src/ghl/private-tokens.ts), re-auth visibility (the gauge, doctor, the
 * boot log, GET /api/ghl/tokens) and the background refresh of refresh tokens close to a year unused,
 * on both stores against the fake GHL: real databases, real sockets to the fake.
 */

const ADMIN = 'admin-token-for-private-tokens-test'
const DAY = 86_400_000

interface Db {
  url: string
  exec(sql: string): Promise<void>
  /** What a reader of the database's files (SQLite file + WAL) or a dump (PostgreSQL) sees. */
  bytes(): Promise<Buffer>
  cleanup(): Promise<void>
}

async function freshDb(kind: 'sqlite' | 'postgres'): Promise<Db> {
  const query = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return await client.query(sql)
    } finally {
      await client.end()
    }
  }
  if (kind === 'sqlite') {
    const file = freshSqliteFile()
    const read = (path: string) => {
      try {
        return readFileSync(path)
      } catch {
        return Buffer.alloc(0)
      }
    }
    return {
      url: file.url,
      async exec(sql) {
        const { default: Database } = await import('better-sqlite3')
        const db = new Database(file.path)
        db.exec(sql)
        db.close()
      },
      bytes: async () => Buffer.concat([read(file.path), read(`${file.path}-wal`)]),
      cleanup: async () => file.remove(),
    }
  }
  const database = await freshPostgresDatabase()
  return {
    url: database.url,
    exec: async (sql) => void (await query(database.url, sql)),
    bytes: async () =>
      Buffer.from(
        (await query(database.url, 'SELECT t::text AS row FROM ghl_tokens t')).rows
          .map((r) => r.row)
          .join('\n'),
      ),
    cleanup: database.drop,
  }
}

describe.each(['sqlite', 'postgres'] as const)('GHL Private Integration Tokens: %s', (kind) => {
  let db: Db
  let fake: FakeGhl
  const key = randomBytes(32).toString('base64')
  const open: { close(): Promise<void> }[] = []

  const gateway = async (env: Record<string, string> = {}): Promise<TestAssembly> => {
    const assembly = await assembleForTest(
      kind,
      { ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'info', GHL_TOKEN_KEY: key, GHL_API_URL: fake.url, ...env },
      { database: db, destinations: { reloadIntervalMs: 0 } },
    )
    open.push({ close: () => assembly.release() })
    return assembly
  }
  const api = async (
    gw: TestAssembly,
    method: 'GET' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  ): Promise<{ status: number; text: string; json: any }> => {
    const answer = await gw.app.fastify.inject({
      method,
      url,
      headers: { authorization: `Bearer ${ADMIN}` },
      ...(body === undefined ? {} : { payload: body as object }),
    })
    return { status: answer.statusCode, text: answer.body, json: answer.body ? answer.json() : undefined }
  }
  /** What `ctx.ghl` does with a token: call GHL, and report a 401 back to the engine. */
  const callGhl = async (tokens: GhlTokens, locationId: string) => {
    const token = await tokens.accessToken(locationId)
    const answer = await fetch(`${fake.url}/private-integration/check`, {
      headers: { authorization: `Bearer ${token}` },
    })
    if (answer.status === 401) tokens.invalidate(token)
    return answer.status
  }
  const gauge = async (gw: TestAssembly) =>
    (await gw.metrics.registry.getSingleMetricAsString('ghl_gateway_ghl_tokens'))
      .split('\n')
      .filter((line) => line.startsWith('ghl_gateway_ghl_tokens{'))

  beforeEach(async () => {
    db = await freshDb(kind)
    fake = await startFakeGhl()
  })
  afterEach(async () => {
    for (const one of open.splice(0).reverse()) await one.close()
    await fake.close()
    await db.cleanup()
  })

  it('a token set over the admin API comes out of accessToken, encrypted at rest, in no answer or log line', async () => {
    const gw = await gateway()
    const token = fake.privateIntegrations.create()
    const put = await api(gw, 'PUT', '/api/ghl/private-tokens/location/loc_1', { token })
    expect(put).toMatchObject({ status: 201, json: { kind: 'location', id: 'loc_1', status: 'active' } })
    expect(await gw.ghlTokens!.accessToken('loc_1')).toBe(token)
    expect(await callGhl(gw.ghlTokens!, 'loc_1')).toBe(200)
    // Set again: replaced, 204.
    const second = fake.privateIntegrations.create()
    expect(await api(gw, 'PUT', '/api/ghl/private-tokens/location/loc_1', { token: second })).toMatchObject({
      status: 204,
      text: '',
    })
    expect(await gw.ghlTokens!.accessToken('loc_1')).toBe(second)
    const company = fake.privateIntegrations.create()
    expect((await api(gw, 'PUT', '/api/ghl/private-tokens/company/comp_1', { token: company })).status).toBe(
      201,
    )
    expect(await gw.ghlTokens!.accessToken(gw.ghlTokens!.owner('comp_1', 'Company'))).toBe(company)

    const listed = await api(gw, 'GET', '/api/ghl/tokens?status=active')
    expect(listed.status).toBe(200)
    expect(listed.json).toMatchObject({ count: 2, countCapped: false })
    expect(listed.json.data).toEqual([
      expect.objectContaining({ kind: 'private', appId: 'private', userType: 'Company', ownerId: 'comp_1' }),
      expect.objectContaining({ kind: 'private', appId: 'private', userType: 'Location', ownerId: 'loc_1' }),
    ])

    // Never in clear: the database's files (or dump), any answer, any log line.
    const bytes = await db.bytes()
    expect(bytes.includes(Buffer.from('loc_1')), 'the table was read').toBe(true)
    for (const t of [token, second, company]) {
      expect(bytes.includes(Buffer.from(t)), t).toBe(false)
      expect(bytes.includes(Buffer.from(t.slice(-16))), t).toBe(false)
      expect(listed.text.includes(t.slice(4))).toBe(false)
      expect(gw.logs.text.includes(t.slice(4)), 'log').toBe(false)
    }
    expect(gw.logs.text).toContain('Private Integration Token of location loc_1 set')

    expect((await api(gw, 'DELETE', '/api/ghl/private-tokens/location/loc_1')).status).toBe(204)
    expect(await api(gw, 'DELETE', '/api/ghl/private-tokens/location/loc_1')).toMatchObject({
      status: 404,
      json: {
        error: { code: 'not_found', message: 'no Private Integration Token is set for location loc_1' },
      },
    })
    await expect(gw.ghlTokens!.accessToken('loc_1')).rejects.toThrow(GhlNotInstalledError)
  })

  it('bad input gets the catalog’s sentences, never quoting the token; no GHL_TOKEN_KEY is a 409', async () => {
    const gw = await gateway()
    const secretish = `pit-${'x'.repeat(20)} with-a-space`
    const cases: [string, unknown, RegExp][] = [
      ['/api/ghl/private-tokens/location/loc_1', { token: '' }, /token: the token is empty/],
      [
        '/api/ghl/private-tokens/location/loc_1',
        { token: 'a'.repeat(2049) },
        /2049 characters long, more than 2048/,
      ],
      ['/api/ghl/private-tokens/location/loc_1', { token: secretish }, /contains spaces, line breaks/],
      ['/api/ghl/private-tokens/location/loc_1', {}, /token is required/],
      ['/api/ghl/private-tokens/location/loc_1', { token: 'pit-1', extra: 1 }, /extra/],
      ['/api/ghl/private-tokens/agency/loc_1', { token: 'pit-1' }, /kind: must be location .* or company/],
      [
        '/api/ghl/private-tokens/location/loc%201',
        { token: 'pit-1' },
        /id: must be a GHL location or company id/,
      ],
    ]
    for (const [url, body, message] of cases) {
      const answer = await api(gw, 'PUT', url, body)
      expect(answer.status, url).toBe(400)
      expect(answer.json.error.code).toBe('invalid_request')
      expect(answer.json.error.message).toMatch(message)
      expect(answer.text).not.toContain('with-a-space')
    }
    expect(gw.logs.text).not.toContain('with-a-space')
    expect((await api(gw, 'GET', '/api/ghl/tokens?status=gone')).status).toBe(400)

    const keyless = await assembleForTest(
      kind,
      { ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'info' },
      { destinations: { reloadIntervalMs: 0 } },
    )
    open.push(keyless)
    expect(keyless.ghlTokens).toBeUndefined()
    const refused = await api(keyless, 'PUT', '/api/ghl/private-tokens/location/loc_1', { token: 'pit-1' })
    expect(refused.status).toBe(409)
    expect(refused.json.error).toMatchObject({
      code: 'ghl_token_key_not_configured',
      message: expect.stringContaining('no GHL_TOKEN_KEY: set it to 32 random bytes in base64'),
    })
    expect((await api(keyless, 'DELETE', '/api/ghl/private-tokens/location/loc_1')).status).toBe(409)
  })

  it('GHL answers 401: needs_reauth for every process, later calls fail without asking GHL, the gauge, doctor and the list say so', async () => {
    const gw = await gateway()
    const token = fake.privateIntegrations.create()
    await api(gw, 'PUT', '/api/ghl/private-tokens/location/loc_1', { token })
    expect(await callGhl(gw.ghlTokens!, 'loc_1')).toBe(200)
    // The sub-account deletes the integration in GHL.
    fake.privateIntegrations.remove(token)
    expect(await callGhl(gw.ghlTokens!, 'loc_1')).toBe(401)
    const owner = { appId: 'private', userType: 'Location', ownerId: 'loc_1' } as const
    const row = await until(async () => {
      const r = await gw.store.getGhlToken(owner)
      return r?.status === 'needs_reauth' ? r : undefined
    }, 'the row')
    expect(row.statusReason).toBe(
      'GHL refused the Private Integration Token of location loc_1 (401): create a new token in GHL (Settings → Private Integrations) and set it again (ghl-gateway ghl private-token set location loc_1)',
    )
    const requests = fake.privateIntegrations.requests
    await expect(gw.ghlTokens!.accessToken('loc_1')).rejects.toThrow(GhlReauthRequiredError)
    await expect(gw.ghlTokens!.accessToken('loc_1')).rejects.toThrow(
      /set a new Private Integration Token for it/,
    )
    // Another process on the same database knows without a 401 of its own.
    const other = await gateway()
    await expect(other.ghlTokens!.accessToken('loc_1')).rejects.toThrow(GhlReauthRequiredError)
    expect(fake.privateIntegrations.requests).toBe(requests)
    expect(gw.logs.text).toContain('GHL refused the Private Integration Token of location loc_1 (401)')

    expect(await gauge(other)).toEqual([
      'ghl_gateway_ghl_tokens{status="active"} 0',
      'ghl_gateway_ghl_tokens{status="needs_reauth"} 1',
      'ghl_gateway_ghl_tokens{status="revoked"} 0',
    ])
    const health = await api(gw, 'GET', '/health')
    expect(health).toMatchObject({ status: 200, json: { status: 'healthy', ghlTokensNeedingReauth: 1 } })
    const listed = await api(gw, 'GET', '/api/ghl/tokens?status=needs_reauth')
    expect(listed.json).toMatchObject({
      count: 1,
      countCapped: false,
      nextCursor: null,
      data: [{ kind: 'private', ownerId: 'loc_1', status: 'needs_reauth', statusReason: row.statusReason }],
    })
    const config = loadConfig({ env: { DATABASE_URL: db.url }, cwd: '/nonexistent' })
    const [doctor] = await checkGhlTokens(config, process.cwd())
    expect(doctor).toMatchObject({
      name: 'ghl tokens',
      status: 'warn',
      message:
        '1 GHL token needs re-authorising: location loc_1 (private token); their GHL calls fail until then',
      fix: expect.stringContaining('ghl-gateway ghl private-token set <location|company> <id>'),
    })

    // A new token set again: active, and used.
    const fresh = fake.privateIntegrations.create()
    expect((await api(gw, 'PUT', '/api/ghl/private-tokens/location/loc_1', { token: fresh })).status).toBe(
      204,
    )
    expect(await callGhl(gw.ghlTokens!, 'loc_1')).toBe(200)
    expect(await callGhl(other.ghlTokens!, 'loc_1')).toBe(200)
    expect((await checkGhlTokens(config, process.cwd()))[0]).toMatchObject({ status: 'ok' })
  })

  it('GHL_PRIVATE_TOKEN alone (no GHL app): validated at boot, stored once, a refused one stays refused across restarts', async () => {
    const token = fake.privateIntegrations.create()
    const env = { GHL_PRIVATE_TOKEN: token, GHL_PRIVATE_TOKEN_LOCATION_ID: 'loc_env' }
    const first = await gateway(env)
    expect(first.config.GHL_CLIENT_ID).toBeUndefined()
    expect(await callGhl(first.ghlTokens!, 'loc_env')).toBe(200)
    expect(first.logs.text).toContain(
      'stored the Private Integration Token of location loc_env from GHL_PRIVATE_TOKEN',
    )
    expect(first.logs.text.includes(token.slice(4))).toBe(false)
    expect((await db.bytes()).includes(Buffer.from(token))).toBe(false)

    fake.privateIntegrations.remove(token)
    expect(await callGhl(first.ghlTokens!, 'loc_env')).toBe(401)
    await until(async () => (await first.store.countGhlTokensByStatus()).needs_reauth === 1, 'needs_reauth')
    // A restart with the same token does not make it active again, and says so once at boot.
    const again = await gateway(env)
    await expect(again.ghlTokens!.accessToken('loc_env')).rejects.toThrow(GhlReauthRequiredError)
    expect(again.logs.text).toContain('GHL_PRIVATE_TOKEN is needs_reauth')
    // A new token in the environment does.
    const fresh = fake.privateIntegrations.create()
    const third = await gateway({ ...env, GHL_PRIVATE_TOKEN: fresh })
    expect(await callGhl(third.ghlTokens!, 'loc_env')).toBe(200)

    const config = (more: Record<string, string>) => () =>
      loadConfig({ env: { DATABASE_URL: db.url, ...more }, cwd: '/nonexistent' })
    expect(config({ GHL_PRIVATE_TOKEN: 'pit-1' })).toThrow(
      /GHL_PRIVATE_TOKEN_LOCATION_ID is missing.*GHL_TOKEN_KEY is missing|GHL_TOKEN_KEY is missing.*GHL_PRIVATE_TOKEN_LOCATION_ID is missing/,
    )
    expect(config({ GHL_PRIVATE_TOKEN_LOCATION_ID: 'loc_1', GHL_TOKEN_KEY: key })).toThrow(
      'GHL_PRIVATE_TOKEN is missing',
    )
    expect(config({ ...env, GHL_PRIVATE_TOKEN: 'pit-1 2', GHL_TOKEN_KEY: key })).toThrow(ConfigError)
    expect(config({ ...env, GHL_PRIVATE_TOKEN: 'pit-1 secret-part', GHL_TOKEN_KEY: key })).toThrow(
      /GHL_PRIVATE_TOKEN contains spaces/,
    )
    try {
      config({ ...env, GHL_PRIVATE_TOKEN: 'pit-1 secret-part', GHL_TOKEN_KEY: key })()
    } catch (error) {
      expect(String(error)).not.toContain('secret-part')
    }
  })

  it('with a GHL app: a location without the app’s token gets its Private Integration Token; one with it, the app’s', async () => {
    const gw = await gateway({
      GHL_CLIENT_ID: fake.clientId,
      GHL_CLIENT_SECRET: fake.clientSecret,
      GHL_APP_ID: 'app_test',
    })
    const tokens = gw.ghlTokens!
    await expect(tokens.accessToken('loc_pit')).rejects.toThrow(
      'no GHL token is stored for location loc_pit: the app is not installed there and no Private Integration Token is set for it',
    )
    const pit = fake.privateIntegrations.create()
    await api(gw, 'PUT', '/api/ghl/private-tokens/location/loc_pit', { token: pit })
    expect(await tokens.accessToken('loc_pit')).toBe(pit)
    const oauth = createGhlOAuthClient({
      apiUrl: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
    })
    try {
      const grant = await oauth.exchangeCode(fake.authorize({ ownerId: 'loc_pit' }), {})
      await tokens.saveGrant(tokens.owner('loc_pit'), grant)
      expect(await tokens.accessToken('loc_pit')).toBe(grant.accessToken)
    } finally {
      await oauth.close()
    }
  })

  it('the boot log names the locations needing re-authorisation, once', async () => {
    const gw = await gateway()
    for (const id of ['loc_a', 'loc_b']) {
      await api(gw, 'PUT', `/api/ghl/private-tokens/location/${id}`, { token: `pit-${id}` })
      await gw.store.setGhlTokenStatus(
        { appId: 'private', userType: 'Location', ownerId: id },
        'needs_reauth',
        'refused',
        Date.now(),
      )
    }
    const { open: listen } = await import('../src/assemble.js')
    const booted = await gateway({ PORT: '0', HOST: '127.0.0.1' })
    await listen(booted)
    const lines = booted.logs.lines.filter((line) => line.includes('need re-authorising'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(
      '2 GHL tokens need re-authorising (location loc_a, location loc_b): install the app there again, or set a new Private Integration Token',
    )
  })
})

describe.each(['sqlite', 'postgres'] as const)('GHL refresh tokens close to a year unused: %s', (kind) => {
  let db: Db
  let fake: FakeGhl
  const stores: Store[] = []
  const closers: (() => Promise<void>)[] = []
  const ring = parseTokenKeys(randomBytes(32).toString('base64')) as TokenKeyRing

  const engine = async (holder: string, wrap: (store: Store) => Store = (store) => store) => {
    const opened = openStore({ url: db.url })
    stores.push(opened)
    await opened.migrate()
    const store = wrap(opened)
    const oauth = createGhlOAuthClient({
      apiUrl: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      timeoutMs: 1000,
    })
    closers.push(() => oauth.close())
    const tokens = new GhlTokens({
      store,
      keys: ring,
      oauth,
      appId: 'app_test',
      logger: createLogger({ level: 'silent' }),
      holder,
      leaseMs: 1500,
      pollMs: 20,
      agedBatch: 2,
    })
    return { tokens, oauth, store }
  }

  beforeEach(async () => {
    db = await freshDb(kind)
    fake = await startFakeGhl()
  })
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
    for (const store of stores.splice(0)) await store.close()
    await fake.close()
    await db.cleanup()
  })

  it('two processes’ background passes at once: each aged refresh token refreshed exactly once, in bounded batches', async () => {
    const a = await engine('process-a')
    const b = await engine('process-b')
    const grants = new Map<string, string>()
    for (const id of ['loc_1', 'loc_2', 'loc_3', 'loc_young']) {
      const grant = await a.oauth.exchangeCode(fake.authorize({ ownerId: id }), {})
      await a.tokens.saveGrant(a.tokens.owner(id), grant)
      grants.set(id, grant.refreshToken)
    }
    const ago = (days: number) =>
      kind === 'sqlite' ? String(Date.now() - days * DAY) : `now() - interval '${days} days'`
    await db.exec(`UPDATE ghl_tokens SET refreshed_at = ${ago(320)} WHERE owner_id <> 'loc_young'`)
    await db.exec(`UPDATE ghl_tokens SET refreshed_at = ${ago(100)} WHERE owner_id = 'loc_young'`)

    // Both passes at once, twice each (a batch is 2): three aged tokens, each refreshed once.
    const first = await Promise.all([a.tokens.refreshAged(), b.tokens.refreshAged()])
    const second = await Promise.all([a.tokens.refreshAged(), b.tokens.refreshAged()])
    expect([...first, ...second].reduce((x, y) => x + y, 0)).toBe(3)
    for (const id of ['loc_1', 'loc_2', 'loc_3']) {
      expect(fake.refreshes(grants.get(id)!), id).toBe(1)
      const row = await a.store.getGhlToken(a.tokens.owner(id))
      expect(row).toMatchObject({ status: 'active', leaseHolder: null })
      expect(row!.refreshedAt).toBeGreaterThan(Date.now() - 60_000)
      // The stored pair is the new one.
      expect(await b.tokens.accessToken(id)).toBe(fake.current(id)!.accessToken)
    }
    expect(fake.refreshes(grants.get('loc_young')!)).toBe(0)
    expect(fake.rotations).toBe(3)
    expect(await a.tokens.refreshAged()).toBe(0)
  })

  it('a pass that listed a token before another process refreshed it sends nothing: it decides again under the lease', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let listed!: () => void
    const hasListed = new Promise<void>((resolve) => {
      listed = resolve
    })
    // Process B's list is read, then held until process A has refreshed everything on it.
    const slowList = (store: Store) =>
      new Proxy(store, {
        get(target, name, receiver) {
          if (name !== 'agedGhlTokens') return Reflect.get(target, name, receiver)
          return async (before: number, limit: number) => {
            const owners = await target.agedGhlTokens(before, limit)
            listed()
            await gate
            return owners
          }
        },
      })
    const a = await engine('process-a')
    const b = await engine('process-b', slowList)
    const grant = await a.oauth.exchangeCode(fake.authorize({ ownerId: 'loc_1' }), {})
    await a.tokens.saveGrant(a.tokens.owner('loc_1'), grant)
    const ago = kind === 'sqlite' ? String(Date.now() - 320 * DAY) : "now() - interval '320 days'"
    await db.exec(`UPDATE ghl_tokens SET refreshed_at = ${ago}`)
    const late = b.tokens.refreshAged()
    await hasListed
    expect(await a.tokens.refreshAged()).toBe(1)
    release()
    expect(await late).toBe(0)
    expect(fake.rotations).toBe(1)
    expect(await a.store.getGhlToken(a.tokens.owner('loc_1'))).toMatchObject({ leaseHolder: null })
  })
})
