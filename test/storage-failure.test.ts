import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { freshPostgresDatabase } from './support/databases.js'
import { fillDisk } from './support/fill-disk.js'
import {
  createTestKeyPair,
  type GatewayProcess,
  type HttpAnswer,
  httpRequest,
  postWebhook,
  signedWebhook,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from './support/gateway-process.js'
import { startOwnPostgres } from './support/own-postgres.js'
import { until } from './support/until.js'

/**
 * When the database cannot take a write, the gateway must say so (503 `storage_unavailable` with
 * Retry-After, so GHL retries later) — never 200 for an event it did not commit, never a 500 — and
 * must come back by itself once storage does. Each scenario keeps a ledger of what was acked and
 * what was refused, and checks it against the database directly: every acked event present, every
 * refused one absent.
 *
 * The SQLite scenarios need root (mount); they are skipped, with the reason in their name, otherwise.
 */

const keys = createTestKeyPair()
const RETRY_AFTER = '5'

const run = (command: string, args: string[]) =>
  execFileSync(command, args, { stdio: 'pipe', timeout: 10_000 }).toString()

/** Ends every gateway first (they hold files on the mounts), then the cleanups in reverse order. */
const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  await stopAllGatewayProcesses()
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup()
    } catch (error) {
      console.error('cleanup failed:', error)
    }
  }
})

/** Unmounts `dir`, lazily if something still holds it, then removes it. */
function unmount(dir: string): void {
  if (spawnSync('umount', [dir], { timeout: 10_000 }).status !== 0) {
    spawnSync('umount', ['-l', dir], { timeout: 10_000 })
  }
  rmSync(dir, { recursive: true, force: true })
}

/** Why mounting a tmpfs is impossible here, or undefined when it works. */
function tmpfsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs'
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-probe-'))
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir])
    unmount(dir)
    return undefined
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    return `mount -t tmpfs failed: ${(error as Error).message.split('\n')[0]}`
  }
}

/** Why an ext4 loop mount with a triggerable error is impossible here, or undefined when it works. */
function ext4ErrorUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a loop device'
  for (const tool of ['mkfs.ext4', 'losetup']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`
  }
  if (!existsSync('/sys/fs/ext4')) return 'the kernel has no ext4 sysfs (needed to trigger an fs error)'
  return undefined
}

const tmpfsSkip = tmpfsUnavailable()
const ext4Skip = ext4ErrorUnavailable()
if (tmpfsSkip) console.warn(`[storage-failure] skipping the SQLite disk-full scenario: ${tmpfsSkip}`)
if (ext4Skip) console.warn(`[storage-failure] skipping the SQLite read-only scenario: ${ext4Skip}`)
const skipped = (reason: string | undefined) => (reason ? ` (skipped: ${reason})` : '')

// ---------------------------------------------------------------------------------------------

/** What the client was told, to be checked against the database. */
class Ledger {
  readonly acked = new Map<string, string>()
  readonly refused = new Set<string>()
  #n = 0

  constructor(readonly tag: string) {}

  /** Sends a new signed webhook and records the answer. */
  async send(gateway: GatewayProcess): Promise<HttpAnswer & { webhookId: string; ms: number }> {
    const webhookId = `${this.tag}-${++this.#n}-${Math.random().toString(36).slice(2, 8)}`
    const webhook = signedWebhook(keys.privateKey, {
      type: 'ContactCreate',
      locationId: 'loc-storage',
      id: `contact-${this.#n}`,
      timestamp: new Date().toISOString(),
      webhookId,
    })
    const started = Date.now()
    const answer = await postWebhook(gateway.url, webhook, { timeoutMs: 20_000 })
    const body = answer.body as { eventId?: string } | undefined
    if (answer.status >= 200 && answer.status < 300) this.acked.set(webhookId, body?.eventId ?? '(none)')
    else this.refused.add(webhookId)
    return { ...answer, webhookId, ms: Date.now() - started }
  }

  /** Every acked event stored under its id; nothing refused stored. */
  check(rows: { id: string; webhook_id: string | null }[]): void {
    const byWebhookId = new Map(rows.map((row) => [row.webhook_id, row.id]))
    const lost = [...this.acked].filter(([webhookId, eventId]) => byWebhookId.get(webhookId) !== eventId)
    expect(lost, 'acked but not in the database').toEqual([])
    const stored = [...this.refused].filter((webhookId) => byWebhookId.has(webhookId))
    expect(stored, 'refused but in the database').toEqual([])
  }
}

async function expectAccepted(ledger: Ledger, gateway: GatewayProcess, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const answer = await ledger.send(gateway)
    expect(answer.status, answer.text).toBe(200)
    expect((answer.body as { status: string }).status).toBe('accepted')
  }
}

/** The answer a sender must get while storage is down: retry later, nothing stored. */
function expectStorageUnavailable(answer: HttpAnswer): void {
  expect(answer.status, answer.text).toBe(503)
  expect((answer.body as { error: { code: string } }).error.code).toBe('storage_unavailable')
  expect(answer.headers['retry-after']).toBe(RETRY_AFTER)
}

function sqliteRows(path: string): { id: string; webhook_id: string | null }[] {
  const db = new Database(path, { fileMustExist: true })
  try {
    return db.prepare('SELECT id, webhook_id FROM events').all() as { id: string; webhook_id: string }[]
  } finally {
    db.close()
  }
}

async function postgresRows(url: string): Promise<{ id: string; webhook_id: string | null }[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<{ id: string; webhook_id: string }>('SELECT id, webhook_id FROM events')).rows
  } finally {
    await client.end()
  }
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

const readyz = (gateway: GatewayProcess) => httpRequest(`${gateway.url}/readyz`, { timeoutMs: 10_000 })

// ---------------------------------------------------------------------------------------------

describe.skipIf(tmpfsSkip !== undefined)(`SQLite on a full disk${skipped(tmpfsSkip)}`, () => {
  it('answers 503 storage_unavailable while the disk is full and recovers by itself when space frees up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-full-'))
    run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir])
    cleanups.push(() => unmount(dir))
    const path = join(dir, 'gateway.db')
    const ledger = new Ledger('full')
    const gateway = await startGatewayProcess({ databaseUrl: `sqlite:${path}`, keyPair: keys })
    await expectAccepted(ledger, gateway, 3)

    const filler = join(dir, 'filler')
    expect(fillDisk(filler, 20_000)).toBe(true)

    // A full disk does not refuse every commit. One that fits in WAL space SQLite can reuse needs
    // no new disk space and succeeds, durable like any other: right after the fill, and again
    // after a 503 when the checkpoint thread finishes copying the WAL into pages the database
    // file already has (the next commit then starts the WAL over; one run here answered 200, 503 ×3,
    // 200 ×4, then 503 for good). What must hold: every answer is one of the two, every 200 is in
    // the database (the ledger), and once no reusable space is left the 503s come in a row.
    const STEADY = 3
    let consecutive503s = 0
    let sent = 0
    while (consecutive503s < STEADY && sent < 500) {
      const answer = await ledger.send(gateway)
      sent++
      if (answer.status === 200) {
        expect((answer.body as { status: string }).status).toBe('accepted')
        consecutive503s = 0
      } else {
        expectStorageUnavailable(answer)
        consecutive503s++
      }
    }
    expect(consecutive503s, `${STEADY} 503s in a row within ${sent} sends`).toBe(STEADY)
    ledger.check(sqliteRows(path))
    // Readiness writes too, so a load balancer stops sending traffic to a gateway that cannot store.
    expect((await readyz(gateway)).status).toBe(503)

    rmSync(filler)
    await expectAccepted(ledger, gateway, 3)
    expect((await readyz(gateway)).status).toBe(200)
    ledger.check(sqliteRows(path))
    expect(await gateway.stop()).toEqual({ code: 0, signal: null })
    ledger.check(sqliteRows(path))
  })
})

/**
 * A filesystem cannot be remounted read-only under a process that has files open for writing
 * (`mount -o remount,ro` fails with EBUSY), so an administrator cannot do this to a running
 * gateway. What does happen is the kernel forcing it: ext4 mounted `errors=remount-ro` meets an
 * error and turns read-only at once, open files or not. We trigger that through ext4's
 * `trigger_fs_error` on a small loop-mounted image. Since Linux 6.x that state is sticky
 * ("emergency_ro": no `remount,rw` until unmounted), and the gateway's open files keep the mount
 * busy, so recovery here is the operator's: stop the gateway, fsck, mount again, start it.
 *
 * DURABILITY=fsync, deliberately. With the default `process`, a commit is acked once it is in the
 * OS page cache; a disk that turns read-only never receives those pages, and after the remount the
 * acked events (here, even the schema) are gone — the trade-off `process` documents for power
 * loss, and a storage error is the same case. Only `fsync` promises that an ack survives the disk.
 */
describe.skipIf(ext4Skip !== undefined)(
  `SQLite on a filesystem that turns read-only${skipped(ext4Skip)}`,
  () => {
    it('answers 503 storage_unavailable for writes on a read-only filesystem, loses nothing acked', async () => {
      const work = mkdtempSync(join(tmpdir(), 'ghl-gateway-ro-'))
      cleanups.push(() => rmSync(work, { recursive: true, force: true }))
      const image = join(work, 'fs.img')
      const dir = join(work, 'mnt')
      writeFileSync(image, '')
      run('truncate', ['-s', '32M', image])
      run('mkfs.ext4', ['-q', '-F', '-O', '^has_journal', image])
      run('mkdir', [dir])
      run('mount', ['-o', 'loop,errors=remount-ro', image, dir])
      cleanups.push(() => unmount(dir))
      const device = basename(run('findmnt', ['-no', 'SOURCE', dir]).trim())
      const trigger = `/sys/fs/ext4/${device}/trigger_fs_error`
      expect(existsSync(trigger), trigger).toBe(true)

      const path = join(dir, 'gateway.db')
      const ledger = new Ledger('ro')
      const env = { DURABILITY: 'fsync' }
      const gateway = await startGatewayProcess({ databaseUrl: `sqlite:${path}`, keyPair: keys, env })
      await expectAccepted(ledger, gateway, 3)

      writeFileSync(trigger, '1')
      expect(run('findmnt', ['-no', 'OPTIONS', dir])).toMatch(/^ro\b|emergency_ro/)
      for (let i = 0; i < 3; i++) expectStorageUnavailable(await ledger.send(gateway))
      ledger.check(sqliteRows(path))

      // Draining on a read-only disk still exits cleanly (the final checkpoint is refused and skipped).
      expect(await gateway.stop()).toEqual({ code: 0, signal: null })
      unmount(dir)
      run('mkdir', [dir])
      // e2fsck exits 1 when it corrected something (the error flag we raised): that is expected.
      const fsck = spawnSync('e2fsck', ['-fy', image], { timeout: 30_000 })
      expect(fsck.status, fsck.stdout?.toString()).toBeLessThanOrEqual(1)
      run('mount', ['-o', 'loop,errors=remount-ro', image, dir])

      const restarted = await startGatewayProcess({ databaseUrl: `sqlite:${path}`, keyPair: keys, env })
      ledger.check(sqliteRows(path))
      await expectAccepted(ledger, restarted, 3)
      expect(await restarted.stop()).toEqual({ code: 0, signal: null })
      ledger.check(sqliteRows(path))
    })
  },
)

describe('PostgreSQL turns read-only (what a failover to a replica looks like)', () => {
  it('answers 503 storage_unavailable, never 200 or 500, and recovers without a restart', async () => {
    const database = await freshPostgresDatabase()
    cleanups.push(database.drop)
    const name = new URL(database.url).pathname.slice(1)
    const adminUrl = inject('pgAdminUrl')
    const setReadOnly = (on: boolean) =>
      withAdmin(adminUrl, async (admin) => {
        await admin.query(
          on
            ? `ALTER DATABASE ${name} SET default_transaction_read_only = on`
            : `ALTER DATABASE ${name} RESET default_transaction_read_only`,
        )
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        )
        // Terminating only signals the sessions: they are gone a moment later.
        await until(
          async () => {
            const { rows } = await admin.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
              [name],
            )
            return rows[0]!.n === 0
          },
          `sessions on ${name} did not end`,
          10_000,
        )
      })

    const ledger = new Ledger('pg-ro')
    const gateway = await startGatewayProcess({ databaseUrl: database.url, keyPair: keys })
    await expectAccepted(ledger, gateway, 3)

    await setReadOnly(true)
    for (let i = 0; i < 3; i++) expectStorageUnavailable(await ledger.send(gateway))
    ledger.check(await postgresRows(database.url))
    // A replica answers reads; readiness writes, so it is not "ready".
    expect((await readyz(gateway)).status).toBe(503)

    await setReadOnly(false)
    await expectAccepted(ledger, gateway, 3)
    expect((await readyz(gateway)).status).toBe(200)
    ledger.check(await postgresRows(database.url))
    expect(await gateway.stop()).toEqual({ code: 0, signal: null })
  })
})

describe('PostgreSQL goes down', () => {
  it('answers 503 storage_unavailable within the connect timeout, and 200 again once it is back', async () => {
    // A server of its own: stopping the run's shared one would break every other test file.
    const server = await startOwnPostgres('pgdown')
    cleanups.push(() => server.cleanup())
    const url = server.url

    const ledger = new Ledger('pg-down')
    const gateway = await startGatewayProcess({ databaseUrl: url, keyPair: keys })
    await expectAccepted(ledger, gateway, 3)

    await server.stop()
    for (let i = 0; i < 3; i++) {
      const answer = await ledger.send(gateway)
      expectStorageUnavailable(answer)
      // The pool gives up after connectionTimeoutMillis (5 s) at worst.
      expect(answer.ms).toBeLessThan(7000)
    }
    const notReady = await readyz(gateway)
    expect(notReady.status).toBe(503)
    expect((notReady.body as { error: { code: string } }).error.code).toBe('storage_unavailable')

    await server.start()
    await expectAccepted(ledger, gateway, 3)
    expect((await readyz(gateway)).status).toBe(200)
    ledger.check(await postgresRows(url))
    expect(await gateway.stop()).toEqual({ code: 0, signal: null })
  })
})
