import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { assemble } from '../src/assemble.js'
import type { OperationalReport } from '../src/catalog/index.js'
import { loadConfig } from '../src/config/index.js'
import { ConfigError } from '../src/config-error.js'
import { checkStoredTokenKeys } from '../src/ghl/check-token-keys.js'
import { GhlReauthRequiredError, GhlTokenDecryptError } from '../src/ghl/errors.js'
import { createGhlOAuthClient, type GhlOAuthClient } from '../src/ghl/oauth-client.js'
import { parseTokenKeys, type TokenKeyRing } from '../src/ghl/token-keys.js'
import { GhlTokens } from '../src/ghl/tokens.js'
import { createLogger } from '../src/observe/logger.js'
import { createMetrics } from '../src/observe/metrics.js'
import { openStore } from '../src/store/open-store.js'
import type { Store } from '../src/store/types.js'
import { freshPostgresDatabase, freshSqliteFile } from './support/databases.js'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'

/**
 * The GHL token engine (src/ghl/tokens.ts) against a fake GHL and real databases: one refresh per
 * refresh token across processes, recovery from a process killed between GHL's rotation and our
 * write, invalid_grant, keys and their rotation, and no token in clear in the database.
 */

const CHILD = fileURLToPath(new URL('./support/ghl-token-process.mjs', import.meta.url))
const APP = 'app_test'
const LEASE_MS = 1500
const TIMEOUT_MS = 1000
const ring = (...keys: Buffer[]): TokenKeyRing => {
  const parsed = parseTokenKeys(keys.map((key) => key.toString('base64')).join(','))
  if ('problem' in parsed) throw new Error(parsed.problem)
  return parsed
}

interface Database_ {
  url: string
  exec(sql: string): Promise<void>
  /** Every byte the database holds for the token table, as a reader of its files would see them. */
  bytes(): Promise<Buffer>
  cleanup(): Promise<void>
}

async function freshDatabase(kind: 'sqlite' | 'postgres'): Promise<Database_> {
  if (kind === 'sqlite') {
    const file = freshSqliteFile()
    return {
      url: file.url,
      async exec(sql) {
        const db = new Database(file.path)
        db.exec(sql)
        db.close()
      },
      async bytes() {
        const read = (path: string) => {
          try {
            return readFileSync(path)
          } catch {
            return Buffer.alloc(0)
          }
        }
        return Buffer.concat([read(file.path), read(`${file.path}-wal`)])
      },
      cleanup: async () => file.remove(),
    }
  }
  const database = await freshPostgresDatabase()
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      return await client.query(sql)
    } finally {
      await client.end()
    }
  }
  return {
    url: database.url,
    exec: async (sql) => void (await query(sql)),
    // The table as a dump shows it (bytea as \x… hex).
    bytes: async () =>
      Buffer.from((await query('SELECT t::text AS row FROM ghl_tokens t')).rows.map((r) => r.row).join('\n')),
    cleanup: database.drop,
  }
}

describe.each(['sqlite', 'postgres'] as const)('GHL tokens: %s', (kind) => {
  let database: Database_
  let fake: FakeGhl
  const stores: Store[] = []
  const clients: GhlOAuthClient[] = []
  const children: ChildProcess[] = []
  const key = randomBytes(32)
  const logLines: string[] = []

  const openOne = async () => {
    const store = openStore({ url: database.url })
    stores.push(store)
    await store.migrate()
    return store
  }
  const reports: OperationalReport[] = []
  const engine = async (options: { keys?: TokenKeyRing; store?: Store; holder?: string } = {}) => {
    const oauth = createGhlOAuthClient({
      apiUrl: fake.url,
      clientId: fake.clientId,
      clientSecret: fake.clientSecret,
      timeoutMs: TIMEOUT_MS,
    })
    clients.push(oauth)
    const metrics = createMetrics()
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => void logLines.push(line) },
    })
    const tokens = new GhlTokens({
      store: options.store ?? (await openOne()),
      keys: options.keys ?? ring(key),
      oauth,
      appId: APP,
      logger,
      metrics,
      holder: options.holder,
      leaseMs: LEASE_MS,
      pollMs: 20,
      report: (report) => void reports.push(report),
    })
    return { tokens, oauth, metrics }
  }
  /** An install: GHL's code exchanged and stored, as the callback route will do. */
  const install = async ({ tokens, oauth }: Awaited<ReturnType<typeof engine>>, locationId: string) => {
    const grant = await oauth.exchangeCode(fake.authorize({ ownerId: locationId }), {})
    await tokens.saveGrant(tokens.owner(locationId), grant, 'comp_1')
    return grant
  }
  const expire = (locationId: string) =>
    database.exec(
      `UPDATE ghl_tokens SET expires_at = ${kind === 'sqlite' ? '0' : "now() - interval '1 hour'"} WHERE owner_id = '${locationId}'`,
    )

  beforeEach(async () => {
    database = await freshDatabase(kind)
    fake = await startFakeGhl()
    logLines.length = 0
  })
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL')
    for (const client of clients.splice(0)) await client.close()
    for (const store of stores.splice(0)) await store.close()
    await fake.close()
    await database.cleanup()
  })
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL')
  })

  it('hands out the stored token while more than 5 minutes are left, without asking GHL', async () => {
    const one = await engine()
    const grant = await install(one, 'loc_1')
    expect(await Promise.all([one.tokens.accessToken('loc_1'), one.tokens.accessToken('loc_1')])).toEqual([
      grant.accessToken,
      grant.accessToken,
    ])
    expect(fake.refreshes(grant.refreshToken)).toBe(0)
  })

  it('forced expiry, two processes on one database, 80 callers: exactly one refresh at GHL', async () => {
    const first = await engine({ holder: 'process-a' })
    const second = await engine({ holder: 'process-b' })
    const grant = await install(first, 'loc_1')
    await expire('loc_1')
    const calls = Array.from({ length: 40 }, () => [
      first.tokens.accessToken('loc_1'),
      second.tokens.accessToken('loc_1'),
    ]).flat()
    const got = await Promise.all(calls)
    const now = fake.current('loc_1')!
    expect(new Set(got)).toEqual(new Set([now.accessToken]))
    expect(fake.refreshes(grant.refreshToken)).toBe(1)
    expect(fake.rotations).toBe(1)
    const row = await stores[0]!.getGhlToken(first.tokens.owner('loc_1'))
    expect(row).toMatchObject({ status: 'active', leaseHolder: null, leaseUntil: null })
    expect(row!.expiresAt).toBeGreaterThan(Date.now() + 86_000_000)
  })

  it('two OS processes and this one, all at once on an expired token: exactly one refresh', async () => {
    const here = await engine()
    const grant = await install(here, 'loc_1')
    await expire('loc_1')
    const outputs = [spawnChild('loc_1', 20), spawnChild('loc_1', 20)]
    const results = await Promise.all([
      ...outputs.map((child) => child.result),
      Promise.all(Array.from({ length: 20 }, () => here.tokens.accessToken('loc_1'))).then((tokens) => ({
        tokens,
      })),
    ])
    const now = fake.current('loc_1')!
    for (const result of results) expect(result).toEqual({ tokens: Array(20).fill(now.accessToken) })
    expect(fake.refreshes(grant.refreshToken)).toBe(1)
  })

  it('a process SIGKILLed after GHL rotated and before it stored: the next one recovers the pair, no re-install', async () => {
    const here = await engine()
    const grant = await install(here, 'loc_1')
    await expire('loc_1')
    // GHL rotates, then its answer is slow: the child is killed while waiting for it.
    fake.fault({ kind: 'slow', ms: 20_000 })
    const rotated = fake.rotated(grant.refreshToken)
    const child = spawnChild('loc_1', 1)
    const pair = await rotated
    child.process.kill('SIGKILL')
    await child.exited
    const row = await stores[0]!.getGhlToken(here.tokens.owner('loc_1'))
    expect(row!.leaseHolder).not.toBeNull()
    // The killed process's lease expires (1.5 s), then this process posts the old refresh token
    // again, inside GHL's 30 s, and gets the same new pair.
    expect(await here.tokens.accessToken('loc_1')).toBe(pair.accessToken)
    expect(fake.rotations).toBe(1)
    expect(fake.refreshes(grant.refreshToken)).toBe(2)
    expect(await stores[0]!.getGhlToken(here.tokens.owner('loc_1'))).toMatchObject({
      status: 'active',
      leaseHolder: null,
    })
    // And the stored refresh token is the new one: the next refresh works.
    await expire('loc_1')
    expect(await here.tokens.accessToken('loc_1')).toBe(fake.current('loc_1')!.accessToken)
    expect(fake.refreshes(pair.refreshToken)).toBe(1)
  })

  it('an answer lost after GHL rotated (a 502) is finished by the sweep with the same refresh token', async () => {
    const here = await engine()
    const grant = await install(here, 'loc_1')
    await expire('loc_1')
    fake.fault({ kind: 'statusAfterRotation', status: 502 })
    await expect(here.tokens.accessToken('loc_1')).rejects.toThrow(/GHL answered 502/)
    expect(await here.tokens.recoverInterrupted()).toBe(1)
    expect(fake.rotations).toBe(1)
    expect(fake.refreshes(grant.refreshToken)).toBe(2)
    expect(await here.tokens.accessToken('loc_1')).toBe(fake.current('loc_1')!.accessToken)
  })

  it('after a 401, invalidate(token) makes the next call refresh once', async () => {
    const here = await engine()
    const grant = await install(here, 'loc_1')
    const first = await here.tokens.accessToken('loc_1')
    here.tokens.invalidate(first)
    const [a, b] = await Promise.all([here.tokens.accessToken('loc_1'), here.tokens.accessToken('loc_1')])
    expect(a).toBe(fake.current('loc_1')!.accessToken)
    expect(b).toBe(a)
    expect(a).not.toBe(first)
    expect(await here.tokens.accessToken('loc_1')).toBe(a)
    expect(fake.refreshes(grant.refreshToken)).toBe(1)
  })

  it('invalid_grant: needs_reauth, a log line, a metric, and no more requests to GHL', async () => {
    const here = await engine()
    reports.length = 0
    const grant = await install(here, 'loc_1')
    await expire('loc_1')
    fake.fault({
      kind: 'status',
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid grant' },
    })
    await expect(here.tokens.accessToken('loc_1')).rejects.toThrow(GhlReauthRequiredError)
    expect(await stores[0]!.getGhlToken(here.tokens.owner('loc_1'))).toMatchObject({
      status: 'needs_reauth',
      statusReason: expect.stringContaining('invalid_grant'),
      leaseHolder: null,
    })
    expect(logLines.some((line) => /invalid_grant.*needs the app installed again/.test(line))).toBe(true)
    const metric = await here.metrics.registry.getSingleMetricAsString(
      'ghl_gateway_ghl_token_refreshes_total',
    )
    expect(metric).toContain('ghl_gateway_ghl_token_refreshes_total{outcome="invalid_grant"} 1')
    // An operational event for the alert destinations: once, naming the owner.
    expect(reports.filter((r) => r.type === 'gateway.ghl.reauth_required')).toEqual([
      expect.objectContaining({
        subject: `${APP}|Location|loc_1`,
        details: expect.objectContaining({
          ownerId: 'loc_1',
          userType: 'Location',
          consolePath: '/ui/ghl-tokens',
        }),
      }),
    ])
    await expect(here.tokens.accessToken('loc_1')).rejects.toThrow(
      /needs_reauth.*install the app there again/,
    )
    expect(fake.refreshes(grant.refreshToken)).toBe(1)
    // A re-install makes it active again.
    await install(here, 'loc_1')
    expect(await here.tokens.accessToken('loc_1')).toBe(fake.current('loc_1')!.accessToken)
  })

  it('key rotation: the old key still reads, the refresh re-encrypts with the new one', async () => {
    const old = randomBytes(32)
    const before = await engine({ keys: ring(old) })
    await install(before, 'loc_1')
    const after = await engine({ keys: ring(key, old) })
    expect(await after.tokens.accessToken('loc_1')).toBe(fake.current('loc_1')!.accessToken)
    expect((await stores[0]!.getGhlToken(after.tokens.owner('loc_1')))!.keyId).toBe(ring(old).current.id)
    await expire('loc_1')
    await after.tokens.accessToken('loc_1')
    expect((await stores[0]!.getGhlToken(after.tokens.owner('loc_1')))!.keyId).toBe(ring(key).current.id)
    // Now the new key alone reads it.
    const only = await engine({ keys: ring(key) })
    expect(await only.tokens.accessToken('loc_1')).toBe(fake.current('loc_1')!.accessToken)
  })

  it('boot check: a key that is gone, or no key at all, stops the gateway with a sentence', async () => {
    const here = await engine()
    await install(here, 'loc_1')
    const store = stores[0]!
    await expect(checkStoredTokenKeys(store, ring(key))).resolves.toBeUndefined()
    await expect(checkStoredTokenKeys(store, ring(key, randomBytes(32)))).resolves.toBeUndefined()
    const other = ring(randomBytes(32))
    await expect(checkStoredTokenKeys(store, other)).rejects.toThrow(ConfigError)
    await expect(checkStoredTokenKeys(store, other)).rejects.toThrow(
      `the database holds GHL tokens encrypted with ${ring(key).current.id}, which GHL_TOKEN_KEY does not hold (it holds ${other.current.id}): the key was removed or replaced`,
    )
    await expect(checkStoredTokenKeys(store, undefined)).rejects.toThrow(/GHL_TOKEN_KEY is not set/)
  })

  it('the gateway refuses to start when the key of the stored tokens was removed, saying which', async () => {
    const old = randomBytes(32)
    await install(await engine({ keys: ring(old) }), 'loc_1')
    const config = (tokenKey: string) =>
      loadConfig({
        env: {
          DATABASE_URL: database.url,
          GHL_CLIENT_ID: fake.clientId,
          GHL_CLIENT_SECRET: fake.clientSecret,
          GHL_API_URL: fake.url,
          GHL_TOKEN_KEY: tokenKey,
          GHL_APP_ID: APP,
        },
        cwd: '/nonexistent',
      })
    const logger = createLogger({ level: 'silent' })
    await expect(assemble(config(key.toString('base64')), { logger })).rejects.toThrow(
      `encrypted with ${ring(old).current.id}, which GHL_TOKEN_KEY does not hold`,
    )
    // With the old key after the new one, it starts.
    const gateway = await assemble(config(`${key.toString('base64')},${old.toString('base64')}`), { logger })
    try {
      expect(await gateway.ghlTokens!.accessToken(gateway.ghlTokens!.owner('loc_1'))).toBe(
        fake.current('loc_1')!.accessToken,
      )
    } finally {
      await gateway.release()
    }
  })

  it('a ciphertext copied to another row does not decrypt', async () => {
    const here = await engine()
    await install(here, 'loc_a')
    await install(here, 'loc_b')
    await database.exec(
      `UPDATE ghl_tokens SET access_token = (SELECT access_token FROM ghl_tokens WHERE owner_id = 'loc_a') WHERE owner_id = 'loc_b'`,
    )
    await expect(here.tokens.accessToken('loc_b')).rejects.toThrow(GhlTokenDecryptError)
    await expect(here.tokens.accessToken('loc_b')).rejects.toThrow(/copied from another row/)
    expect(await here.tokens.accessToken('loc_a')).toBe(fake.current('loc_a')!.accessToken)
  })

  it('no token in clear in the database', async () => {
    const here = await engine()
    const seen: string[] = []
    for (const location of ['loc_1', 'loc_2']) {
      const grant = await install(here, location)
      seen.push(grant.accessToken, grant.refreshToken)
    }
    await expire('loc_1')
    await here.tokens.accessToken('loc_1')
    seen.push(fake.current('loc_1')!.accessToken, fake.current('loc_1')!.refreshToken)
    const bytes = await database.bytes()
    expect(bytes.length).toBeGreaterThan(0)
    expect(bytes.includes(Buffer.from('loc_2')), 'the table was read').toBe(true)
    for (const token of seen) {
      expect(bytes.includes(Buffer.from(token)), token).toBe(false)
      expect(bytes.includes(Buffer.from(Buffer.from(token).toString('hex'))), token).toBe(false)
      // Not even a part of it (a 16-character slice of the random part).
      expect(bytes.includes(Buffer.from(token.slice(-16))), token).toBe(false)
    }
  })

  function spawnChild(locationId: string, calls: number) {
    const child = spawn(process.execPath, [CHILD], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        GHL_API_URL: fake.url,
        GHL_CLIENT_ID: fake.clientId,
        GHL_CLIENT_SECRET: fake.clientSecret,
        GHL_TOKEN_KEY: key.toString('base64'),
        GHL_APP_ID: APP,
        LOCATION_ID: locationId,
        CALLS: String(calls),
        LEASE_MS: String(LEASE_MS),
        TIMEOUT_MS: String(TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    children.push(child)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    const result = new Promise<unknown>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as Record<string, unknown>
        if (!message.ready) resolve(message)
      })
      child.once('exit', (code) => reject(new Error(`the token process exited (${code}) without an answer`)))
    })
    result.catch(() => {})
    return { process: child, result, exited }
  }
})
