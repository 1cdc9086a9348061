import { expect } from 'vitest'
import {
  createTestKeyPair,
  type GatewayProcess,
  startGatewayProcess,
  type TestKeyPair,
} from '../support/gateway-process.js'
import { startGhlSender } from '../support/ghl-sender.js'
import { type Sink, startSink } from '../support/sink.js'
import { storeReader } from '../support/store-reader.js'
import {
  chaosDatabase,
  countsText,
  destinationConfig,
  type StoreKind,
  seededRandom,
  sinkBooks,
  sleep,
  sqliteFileSizes,
  summaryLine,
  waitUntil,
} from './harness.js'

/**
 * Crash under GHL-like load. The real binary, with one HTTP destination (from its config file)
 * pointing at a local sink that dedupes on `webhook-id`, takes webhooks from a sender that behaves
 * like GHL in 2026 (src/cli/simulate: any non-2xx or no answer retried with backoff, time
 * compressed 200×, the same bytes and webhookId on every retry). At random moments it is
 * SIGKILLed — no drain, no flush — and restarted on the same port, so the sender's retries land on
 * the new process. After the sender is done and the deliveries drained (bounded):
 *
 * - acked: events that got a 2xx; every one of them must be stored (read from the database
 *   directly) — lost must be 0 — and delivered to the sink;
 * - redelivered: raw requests the sink got beyond the first per event. At-least-once delivery
 *   allows them only for deliveries in flight at a kill (the sink answered, the process died
 *   before recording it) or for an attempt that outlived its lease on a busy machine (another run
 *   took over; the late result is recorded as `lease_lost`). Each second complete 2xx must be one
 *   of these two;
 * - duplicates-after-dedupe: one GHL webhookId processed under two event ids (a dedupe failure the
 *   sink's `webhook-id` dedupe could not catch) — must be 0;
 * - dropped: deliveries GHL would have given up on (12 retries exhausted) — must be 0.
 */

export interface CrashOptions {
  store: StoreKind
  kills: number
  /** First deliveries per second from the sender. */
  rate: number
  /** Time the gateway runs (after ready) before each kill, drawn uniformly. @default [400, 1500] */
  uptimeMs?: [number, number]
  /** Bound on the wait for every delivery after the sender is done. @default 60000 */
  drainTimeoutMs?: number
  seed: number
  log?: (line: string) => void
}

export interface CrashResult {
  store: StoreKind
  seed: number
  kills: number
  /** Kills while the sender still had first deliveries to send, requests in flight or retries waiting. */
  killsUnderLoad: number
  events: number
  acked: number
  stored: number
  lost: number
  unverifiedStored: number
  delivered: number
  undelivered: number
  openDeliveries: number
  sinkRequests: number
  redelivered: number
  /** Second (third…) complete 2xx answers for one event id, and those not explained by a kill. */
  retaken: number
  retakenAfterKill: number
  retakenAfterLease: number
  retakenUnexplained: number
  /** The longest time between a retaken delivery's first 2xx and the kill that lost its record. */
  retakeGapMaxMs: number
  duplicatesAfterDedupe: number
  dropped: number
  unfinished: number
  ghlRetries: number
  statuses: string
  restartMsMedian: number
  finalExit: string
  /** Distinct error-level log lines of all the gateway processes (for failure messages). */
  gatewayErrors: string[]
  /** SQLite: the -wal and database file sizes after the drain (MiB). */
  walMb: number | null
  dbMb: number | null
  seconds: number
  /** Examples for failure messages. */
  examples: { lost: string[]; undelivered: string[]; unexplained: string[]; duplicates: string[] }
}

const KILL_EXPLAINS_RETAKE_MS = 10_000

export async function runCrashScenario(options: CrashOptions): Promise<CrashResult> {
  const started = Date.now()
  const log = options.log ?? (() => {})
  const random = seededRandom(options.seed)
  const [minUp, maxUp] = options.uptimeMs ?? [400, 1500]
  const keys: TestKeyPair = createTestKeyPair()
  const books = sinkBooks()
  const database = await chaosDatabase(options.store)
  let sink: Sink | undefined
  let config: { path: string; remove: () => void } | undefined
  let gateway: GatewayProcess | undefined
  try {
    sink = await startSink(async (request) => {
      books.record(request, 'ok')
      // A few milliseconds of "work", so deliveries are in flight when a kill lands.
      await sleep(Math.floor(Math.random() * 10))
      return { status: 200, body: 'ok' }
    })
    config = destinationConfig([
      {
        id: 'chaos-sink',
        url: sink.url,
        events: ['*'],
        timeout: '2s',
        rateLimit: { concurrency: 16 },
        retry: { minDelay: '100ms', maxDelay: '1s', maxAttempts: 100 },
      },
    ])
    // Leases of a killed process expire after the destination timeout plus the grace: 5 s here
    // (32 s by default), so the next process takes over its in-flight deliveries within the run.
    const env = { GATEWAY_CONFIG: config.path, WORKER_LEASE_GRACE: '3s', WORKER_POLL_INTERVAL: '200ms' }
    const t0 = Date.now()
    gateway = await startGatewayProcess({ databaseUrl: database.url, keyPair: keys, env })
    const firstStartMs = Date.now() - t0
    const port = gateway.port

    // Long enough to keep first deliveries flowing through every kill and restart.
    // Restarts get slower when the machine is busy: budget twice the first start (at least 1 s).
    const windowMs = options.kills * ((minUp + maxUp) / 2 + Math.max(1000, firstStartMs) * 2) + 2000
    const events = Math.ceil((options.rate * windowMs) / 1000)
    const sender = startGhlSender({
      target: `${gateway.url}/webhooks/ghl`,
      privateKey: keys.privateKey,
      events,
      rate: options.rate,
      seed: options.seed,
      timeScale: 200,
      deadlineMs: windowMs + 120_000,
    })
    log(
      `[crash ${options.store}] seed ${options.seed}: ${events} events at ${options.rate}/s, ${options.kills} kills`,
    )

    const killTimes: number[] = []
    const restartMs: number[] = []
    let killsUnderLoad = 0
    const sendingEndsAt = Date.now() + (events * 1000) / options.rate
    const errorLines = new Set<string>()
    const keepErrors = (child: GatewayProcess) => {
      for (const line of child.jsonLogs()) {
        if (Number(line.level) < 50) continue
        const err = line.err as { type?: string; code?: string; message?: string } | undefined
        errorLines.add(
          `${line.msg}${err ? ` (${err.type ?? ''} ${err.code ?? ''} ${err.message ?? ''})` : ''}`.slice(
            0,
            200,
          ),
        )
      }
    }
    for (let k = 0; k < options.kills; k++) {
      // Random uptime, squeezed to the minimum when the remaining kills (at the restart time seen
      // so far) would not fit before the sender's first deliveries end: every kill lands under load.
      const meanRestart = restartMs.length
        ? restartMs.reduce((a, b) => a + b, 0) / restartMs.length
        : firstStartMs
      const fits = Date.now() + (options.kills - k) * (maxUp + meanRestart) < sendingEndsAt
      await sleep(fits ? minUp + random() * (maxUp - minUp) : minUp)
      const progress = sender.progress()
      if (!sender.allSent() || progress.inFlight > 0 || progress.waitingRetry > 0) killsUnderLoad++
      killTimes.push(Date.now())
      await gateway.kill('SIGKILL')
      keepErrors(gateway)
      const t = Date.now()
      gateway = await restartOnPort(database.url, keys, env, port)
      restartMs.push(Date.now() - t)
    }
    const report = await sender.done

    // Drain: every stored event delivered and recorded as such, within a bound.
    const reader = storeReader(database.url)
    const live = gateway
    await waitUntil(
      async () => {
        if (!live.isRunning()) return true
        const taken = books.takenIds()
        const stored = (await reader.events()).map((e) => e.id)
        return stored.every((id) => taken.has(id)) && (await reader.openDeliveries()) === 0
      },
      options.drainTimeoutMs ?? 60_000,
      250,
    )
    const files = sqliteFileSizes(database.url)
    const exit = await gateway.stop()
    keepErrors(gateway)

    const rows = await reader.events()
    const deliveries = await reader.deliveries()
    const byHash = new Map(rows.map((row) => [row.contentHash, row]))
    const allAcked = report.acknowledged === report.events
    // With every event acknowledged, every signed body is an acked one (see ghl-sender.ts).
    const lostBodies = allAcked ? [...sender.signed.values()].filter((b) => !byHash.has(b.contentHash)) : []
    const { eventIds: processed, ghlWebhookIds } = books.processed()
    const undelivered = rows.filter((row) => !processed.has(row.id))

    // Why was a delivery taken (a complete 2xx) twice? Either a kill came between the first 2xx
    // and its record — in flight at a kill — or the attempt outlived its lease on a busy machine
    // and another run took over (recorded as `lease_lost`). Anything else is unexplained.
    const leaseLost = await reader.leaseLostEvents()
    let retaken = 0
    let retakenAfterKill = 0
    let retakenAfterLease = 0
    let retakeGapMax = 0
    const unexplained: string[] = []
    for (const [eventId, entries] of books.byEventId) {
      const took = entries.filter(books.tookIt)
      for (const again of took.slice(1)) {
        retaken++
        const first = took[0]!.request.at
        const kill = killTimes.find((k) => k >= first && k <= again.request.at)
        if (kill !== undefined && kill - first <= KILL_EXPLAINS_RETAKE_MS) {
          retakenAfterKill++
          retakeGapMax = Math.max(retakeGapMax, kill - first)
        } else if (leaseLost.has(eventId)) {
          retakenAfterLease++
        } else {
          unexplained.push(`${eventId}: 2xx at ${first} and again at ${again.request.at}, kills ${killTimes}`)
        }
      }
    }
    const duplicates = [...ghlWebhookIds].filter(([, ids]) => ids.size > 1)
    const sortedRestarts = [...restartMs].sort((a, b) => a - b)
    const result: CrashResult = {
      store: options.store,
      seed: options.seed,
      kills: killTimes.length,
      killsUnderLoad,
      events: report.events,
      acked: report.acknowledged,
      stored: rows.length,
      lost: allAcked ? lostBodies.length : Number.NaN,
      unverifiedStored: rows.filter((row) => !row.verified).length,
      delivered: rows.length - undelivered.length,
      undelivered: undelivered.length,
      openDeliveries: deliveries.filter((d) => !['succeeded', 'dead'].includes(d.state)).length,
      sinkRequests: books.total(),
      redelivered: books.total() - books.byEventId.size,
      retaken,
      retakenAfterKill,
      retakenAfterLease,
      retakenUnexplained: unexplained.length,
      retakeGapMaxMs: retakeGapMax,
      duplicatesAfterDedupe: duplicates.reduce((sum, [, ids]) => sum + ids.size - 1, 0),
      dropped: report.dropped.total,
      unfinished: report.unfinished,
      ghlRetries: report.retried.attempts,
      statuses: countsText(report.byStatus),
      restartMsMedian: sortedRestarts[Math.floor(sortedRestarts.length / 2)] ?? 0,
      finalExit: `${exit.code ?? exit.signal}`,
      gatewayErrors: [...errorLines],
      walMb: files ? Math.round(files.walBytes / 2 ** 20) : null,
      dbMb: files ? Math.round(files.dbBytes / 2 ** 20) : null,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      examples: {
        lost: lostBodies.slice(0, 5).map((b) => `${b.webhookId} ${b.contentHash}`),
        undelivered: undelivered.slice(0, 5).map((row) => `${row.id} (${row.webhookId})`),
        unexplained: unexplained.slice(0, 5),
        duplicates: duplicates.slice(0, 5).map(([webhookId, ids]) => `${webhookId} → ${[...ids].join(', ')}`),
      },
    }
    log(crashSummary(result))
    log(`[crash ${options.store}] GHL-side statuses: ${result.statuses}`)
    if (result.gatewayErrors.length)
      log(`[crash ${options.store}] gateway errors: ${result.gatewayErrors.slice(0, 8).join(' | ')}`)
    return result
  } finally {
    await gateway?.kill('SIGKILL')
    await sink?.close()
    config?.remove()
    await database.cleanup()
  }
}

/** After a SIGKILL the port is free at once; a bind race with another process is retried briefly. */
async function restartOnPort(
  databaseUrl: string,
  keyPair: TestKeyPair,
  env: Record<string, string>,
  port: number,
): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startGatewayProcess({ databaseUrl, keyPair, env, port, readyTimeoutMs: 30_000 })
    } catch (error) {
      if (attempt >= 5 || !/already in use|EADDRINUSE/i.test((error as Error).message)) throw error
      await sleep(200 * attempt)
    }
  }
}

export function crashSummary(r: CrashResult): string {
  return summaryLine(`crash ${r.store}`, crashRow(r))
}

/** The figures of one run, as a row of the summary table. */
export function crashRow(r: CrashResult): Record<string, unknown> {
  return {
    store: r.store,
    kills: r.kills,
    'under-load': r.killsUnderLoad,
    events: r.events,
    acked: r.acked,
    lost: r.lost,
    delivered: r.delivered,
    redelivered: r.redelivered,
    'retaken(2xx twice)': r.retaken,
    'after-kill': r.retakenAfterKill,
    'after-lease-expiry': r.retakenAfterLease,
    'kill-gap-max-ms': r.retakeGapMaxMs,
    'duplicates-after-dedupe': r.duplicatesAfterDedupe,
    dropped: r.dropped,
    'ghl-retries': r.ghlRetries,
    'restart-ms-p50': r.restartMsMedian,
    ...(r.walMb === null ? {} : { 'db-mb': r.dbMb, 'wal-mb': r.walMb }),
    seconds: r.seconds,
  }
}

/** The guarantees, as assertions (with examples in the messages). */
export function expectCrashGuarantees(r: CrashResult): void {
  const context = `seed ${r.seed} (CHAOS_SEED=${r.seed} replays the plan)`
  expect(r.kills, context).toBeGreaterThan(0)
  expect(r.killsUnderLoad, `${context}: every kill lands under load`).toBe(r.kills)
  expect(r.dropped, `${context}: GHL would have dropped events`).toBe(0)
  expect(r.unfinished, `${context}: the sender did not finish`).toBe(0)
  expect(r.acked, context).toBe(r.events)
  expect(r.examples.lost, `${context}: acked but not stored`).toEqual([])
  expect(r.lost, context).toBe(0)
  expect(r.unverifiedStored, context).toBe(0)
  expect(r.stored, `${context}: one row per event`).toBe(r.events)
  expect(r.examples.undelivered, `${context}: stored but never delivered`).toEqual([])
  expect(r.openDeliveries, context).toBe(0)
  expect(r.examples.duplicates, `${context}: one webhookId under two event ids`).toEqual([])
  expect(r.duplicatesAfterDedupe, context).toBe(0)
  expect(r.examples.unexplained, `${context}: a delivery taken twice without a kill in between`).toEqual([])
  expect(r.finalExit, `${context}: the last process drains and exits 0`).toBe('0')
}
