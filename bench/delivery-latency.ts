/**
 * Delivery latency under a steady open-loop load, over 20 s or minutes: how long after GHL gets its
 * 200 does the event reach the destination, and does that lag grow?
 *
 *   npx tsx bench/delivery-latency.ts [--rates 500,1000] [--seconds 20] [--warmup 2] [--runs 1]
 *                                     [--targets gateway-sqlite,gateway-pg,floor]
 *   npx tsx bench/delivery-latency.ts --seconds 300          # the 5-minute run
 *
 * Three processes besides the target: the sender (lib/sender-child.ts: signed ContactCreate
 * webhooks, each new, at a fixed open-loop rate over 64 keep-alive connections), the sink
 * (lib/sink-child.ts: answers 200 at once, notes the first arrival of each `webhook-id`), and this
 * one, which only starts, measures and compares. Targets: `ghl-gateway serve` with one destination
 * (default settings, events `*`) on SQLite or PostgreSQL, and the same-run floor
 * (servers/forward-floor.mjs: verify, 200, forward from memory; nothing durable). Rates × runs ×
 * targets are interleaved; each run starts fresh processes and a fresh database, sends `--warmup`
 * seconds at the same rate, waits until those were delivered, then measures.
 *
 * Per run: ack (scheduled send → 200) and ack → destination (first arrival at the sink − 200 at the
 * sender, both moved onto this process's clock by the offsets measured over IPC); the p99 of the
 * events sent in the first and in the last minute (first/last quarter for runs under 2 minutes),
 * to show a growing lag; how long after the last send the last acked event arrived; lost = acked
 * but not at the sink `--drain-wait` seconds after the load; duplicates at the sink; the cores of
 * the target, PostgreSQL, the sender, the sink and everything else during the load.
 */

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  benchCommand,
  gatewayEnvOption,
  int,
  listOption,
  noSaveOption,
  oneOf,
  quietWaitOption,
} from './lib/args.js'
import { type BenchDatabase, freshDatabase, gatewayBuildProblem, startGatewayProcess } from './lib/gateway.js'
import { type ClockOffset, clockOffset } from './lib/ipc.js'
import { type BenchKeys, ensureBenchKeys } from './lib/keys.js'
import {
  type OpenLoopSummary,
  type SenderChild,
  type SinkChild,
  startSenderChild,
  startSinkChild,
} from './lib/load-children.js'
import { BUSY_THRESHOLD, type CpuWindowResult, cpuWindow, machineFacts, quietOrWarn } from './lib/machine.js'
import { resultsDir, serversDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { ensureRequestsFile } from './lib/requests-file.js'
import {
  cpuSeconds,
  freePort,
  type ServerProcess,
  startServer,
  waitUntilReady,
} from './lib/server-process.js'
import {
  fmtSpread,
  formatTable,
  markdownTable,
  type Percentiles,
  percentiles,
  type Spread,
  sleep,
  spread,
} from './lib/stats.js'

const TARGETS = ['gateway-sqlite', 'gateway-pg', 'floor'] as const
type Target = (typeof TARGETS)[number]

/** The sender's keep-alive connections (what the issue's independent run used). */
const SOCKETS = 64

export interface DeliveryLatencyOptions {
  rates: number[]
  targets: Target[]
  seconds: number
  warmup: number
  runs: number
  drainWaitSec: number
  quietWaitSec: number
  gatewayEnv: Record<string, string>
  save: boolean
}

export function parseDeliveryLatencyArgs(argv: string[]): DeliveryLatencyOptions {
  const o = benchCommand(
    'delivery-latency.ts',
    'Ack → destination at a fixed open-loop rate over 20 s or minutes; sender and sink in their own processes',
  )
    .addOption(listOption('--rates <list>', 'webhooks per second, comma-separated', int(1, 20_000), [1000]))
    .addOption(listOption('--targets <list>', 'floor is the baseline', oneOf(TARGETS), [...TARGETS]))
    .option('--seconds <s>', 'seconds of load per run (300 for the 5-minute run)', int(1, 1800), 20)
    .option(
      '--warmup <s>',
      'seconds at the same rate before measuring, same processes; then waits until those were delivered',
      int(0, 60),
      2,
    )
    .option('--runs <n>', 'runs per rate and target, interleaved', int(1, 20), 1)
    .option(
      '--drain-wait <s>',
      'after the load, wait up to this long for acked events to reach the sink',
      int(1, 3600),
      60,
    )
    .addOption(quietWaitOption())
    .addOption(gatewayEnvOption())
    .addOption(noSaveOption('delivery-latency'))
    .parse(argv, { from: 'user' })
    .opts()
  return {
    rates: o.rates,
    targets: o.targets,
    seconds: o.seconds,
    warmup: o.warmup,
    runs: o.runs,
    drainWaitSec: o.drainWait,
    quietWaitSec: o.quietWait,
    gatewayEnv: o.gatewayEnv,
    save: o.save,
  }
}

/** Cores used during the load (send start → last answer). */
export interface LoadCores {
  target: number
  database?: number
  sender: number
  sink: number
  /** Processes outside the bench's tree (≥ BUSY_THRESHOLD: a noisy run). */
  other: number
}

/** One run of one rate on one target. */
export interface DeliveryLatencySample {
  rate: number
  target: Target
  run: number
  ok: boolean
  error?: string
  ack?: OpenLoopSummary
  /** Acked 200 → first arrival at the sink, every acked event that arrived. */
  toSink?: Percentiles
  /** The same for the events scheduled in the first / the last `edgeSec` seconds. */
  edgeSec?: number
  firstP99?: number
  lastP99?: number
  /** p99 of ack → sink per 10 s of scheduled send time (the lag's course over the run). */
  p99Per10s?: number[]
  /** Last send → arrival of the last acked event (undefined when some never arrived). */
  drainedAfterMs?: number
  /** Share of the acked events that had reached the sink by the last send (1: kept up). */
  deliveredDuringLoad?: number
  lost?: number
  duplicates?: number
  /** Arrived before the sender had read the 200 (the gateway wakes its worker on commit). */
  beforeAck?: number
  clocks?: { sender: ClockOffset; sink: ClockOffset }
  cores?: LoadCores
  machine?: CpuWindowResult
  busyBefore?: number
}

interface Ctx {
  o: DeliveryLatencyOptions
  keys: BenchKeys
  requestsFile: string
  postgres(): Promise<BenchPostgres>
}

/** Starts the target with `sinkUrl` as its one destination; returns the process and its webhook URL. */
async function startTarget(
  target: Target,
  sinkUrl: string,
  ctx: Ctx,
): Promise<{ server: ServerProcess; url: string; close(): Promise<void>; db?: BenchDatabase }> {
  if (target === 'floor') {
    const port = await freePort()
    const server = startServer({
      command: process.execPath,
      args: [join(serversDir, 'forward-floor.mjs')],
      env: {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        BENCH_ED25519_SPKI: ctx.keys.ed25519.publicSpkiB64,
        BENCH_MODE: 'forward',
        BENCH_DEST_URL: sinkUrl,
      },
      port,
      ipc: true,
    })
    try {
      await waitUntilReady(server, undefined, 30_000)
    } catch (error) {
      await server.stop()
      throw error
    }
    return { server, url: `${server.baseUrl}/webhook`, close: () => server.stop() }
  }
  const db = await freshDatabase(target === 'gateway-pg' ? 'postgres' : 'sqlite', ctx.postgres)
  try {
    const gateway = await startGatewayProcess({
      mode: 'cli',
      databaseUrl: db.url,
      keys: ctx.keys,
      config: { destinations: [{ id: 'sink', url: sinkUrl, events: ['*'] }] },
      env: ctx.o.gatewayEnv,
    })
    return { server: gateway, url: `${gateway.baseUrl}/webhooks/ghl`, close: () => gateway.close(), db }
  } catch (error) {
    await db.drop()
    throw error
  }
}

async function measure(rate: number, target: Target, run: number, ctx: Ctx): Promise<DeliveryLatencySample> {
  const { o } = ctx
  const label = `${rate}/s ${target} run ${run}`
  const sample: DeliveryLatencySample = { rate, target, run, ok: false }
  sample.busyBefore = await quietOrWarn(label, o.quietWaitSec)
  const count = Math.round(rate * o.seconds)
  const warmCount = Math.round(rate * o.warmup)
  let sink: SinkChild | undefined
  let sender: SenderChild | undefined
  let started: Awaited<ReturnType<typeof startTarget>> | undefined
  try {
    sink = await startSinkChild()
    started = await startTarget(target, sink.url, ctx)
    const { server } = started
    sender = await startSenderChild({
      url: started.url,
      rate,
      count: warmCount + count,
      sockets: SOCKETS,
      requestsFile: ctx.requestsFile,
    })
    const clocks = { sender: await clockOffset(sender.child), sink: await clockOffset(sink.child) }
    sample.clocks = clocks

    // Warm-up: JIT, connections, the database's caches. The measured run starts once its events
    // were delivered, so that it does not inherit their backlog.
    let warmAcked = 0
    if (warmCount > 0) {
      const warm = await sender.run(0, warmCount)
      warmAcked = warm.ok
      if (warm.ok < warmCount) throw new Error(`warm-up: ${warmCount - warm.ok} of ${warmCount} not acked`)
      const deadline = Date.now() + o.drainWaitSec * 1000
      while ((await sink.count()) < warmAcked && Date.now() < deadline) await sleep(100)
      const behind = warmAcked - (await sink.count())
      if (behind > 0)
        throw new Error(`warm-up: ${behind} acked events not delivered after ${o.drainWaitSec} s`)
    }
    await sleep(200)
    const pg = target === 'gateway-pg' ? await ctx.postgres() : undefined
    const cpu = () => ({
      target: cpuSeconds(server.pid) ?? 0,
      database: pg?.cpuSeconds() ?? 0,
      sender: cpuSeconds(sender!.pid) ?? 0,
      sink: cpuSeconds(sink!.pid) ?? 0,
    })
    const window = cpuWindow()
    const before = cpu()
    const ack = await sender.run(warmCount, count)
    const after = cpu()
    const w = window.stop()
    const per = (k: keyof typeof before) => (after[k] - before[k]) / w.wallSec
    sample.ack = ack
    sample.machine = w
    sample.cores = {
      target: per('target'),
      database: pg ? per('database') : undefined,
      sender: per('sender'),
      sink: per('sink'),
      other: w.otherCores,
    }
    if (server.exited()) throw new Error('the target exited during the run')

    // Bounded wait until every acked event reached the sink.
    const deadline = Date.now() + o.drainWaitSec * 1000
    while ((await sink.count()) < warmAcked + ack.ok && Date.now() < deadline) await sleep(100)
    const records = await sender.dump()
    const { arrivals, duplicates } = await sink.dump()

    const toBench = (senderMs: number) => senderMs - clocks.sender.offsetMs
    const t0 = toBench(records.scheduledAt[0] ?? 0)
    const edgeSec = o.seconds >= 120 ? 60 : o.seconds / 4
    const all: number[] = []
    const first: number[] = []
    const last: number[] = []
    const buckets: number[][] = []
    let lost = 0
    let beforeAck = 0
    const arrivedTimes: number[] = []
    let lastArrival = Number.NEGATIVE_INFINITY
    let lastSend = Number.NEGATIVE_INFINITY
    for (let i = 0; i < count; i++) {
      const sentAt = records.sentAt[i]!
      if (!Number.isNaN(sentAt)) lastSend = Math.max(lastSend, toBench(sentAt))
      const key = records.keys[i]
      if (key === null || key === undefined) continue
      const arrivedAt = arrivals.get(key)
      if (arrivedAt === undefined) {
        lost++
        continue
      }
      const arrived = arrivedAt - clocks.sink.offsetMs
      lastArrival = Math.max(lastArrival, arrived)
      arrivedTimes.push(arrived)
      const ms = arrived - toBench(records.answeredAt[i]!)
      if (ms < 0) beforeAck++
      all.push(ms)
      const sec = (toBench(records.scheduledAt[i]!) - t0) / 1000
      if (sec < edgeSec) first.push(ms)
      if (sec >= o.seconds - edgeSec) last.push(ms)
      const bucket = buckets[Math.floor(sec / 10)]
      if (bucket) bucket.push(ms)
      else buckets[Math.floor(sec / 10)] = [ms]
    }
    sample.toSink = percentiles(all)
    sample.edgeSec = edgeSec
    sample.firstP99 = percentiles(first).p99
    sample.lastP99 = percentiles(last).p99
    sample.p99Per10s = Array.from(buckets, (b) => (b ? Math.round(percentiles(b).p99 * 10) / 10 : Number.NaN))
    sample.drainedAfterMs = lost === 0 && all.length > 0 ? lastArrival - lastSend : undefined
    sample.deliveredDuringLoad = arrivedTimes.filter((at) => at <= lastSend).length / Math.max(1, ack.ok)
    sample.lost = lost
    sample.duplicates = duplicates
    sample.beforeAck = beforeAck
    sample.ok = ack.ok === count && lost === 0
    if (!sample.ok) sample.error = `${count - ack.ok} not acked, ${lost} acked but not at the sink`

    const t = sample.toSink
    const c = sample.cores
    const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(1))
    console.log(
      `  ${label.padEnd(30)} ${ack.ok}/${count} acked; ack ms p50 ${ack.latencyMs.p50.toFixed(2)} p99 ${ack.latencyMs.p99.toFixed(2)}; ` +
        `sender lag p99 ${ack.lagMs.p99.toFixed(2)} ms\n` +
        `  ${''.padEnd(30)} ack → sink ms p50 ${ms(t.p50)} p90 ${ms(t.p90)} p99 ${ms(t.p99)} max ${ms(t.max)}; ` +
        `p99 first ${edgeSec} s ${ms(sample.firstP99)}, last ${ms(sample.lastP99)}; drained after ${ms(sample.drainedAfterMs)} ms ` +
        `(${(sample.deliveredDuringLoad * 100).toFixed(0)} % delivered by the last send); ` +
        `lost ${lost}, duplicates ${duplicates}\n` +
        `  ${''.padEnd(30)} cores: target ${c.target.toFixed(2)}${c.database === undefined ? '' : ` + db ${c.database.toFixed(2)}`}, ` +
        `sender ${c.sender.toFixed(2)}, sink ${c.sink.toFixed(2)}, other ${c.other.toFixed(2)}${c.other >= BUSY_THRESHOLD ? ' [NOISY]' : ''}; ` +
        `clock offsets sender ${clocks.sender.offsetMs.toFixed(3)} ± ${clocks.sender.uncertaintyMs.toFixed(3)}, ` +
        `sink ${clocks.sink.offsetMs.toFixed(3)} ± ${clocks.sink.uncertaintyMs.toFixed(3)} ms\n` +
        `  ${''.padEnd(30)} p99 per 10 s: ${sample.p99Per10s.map((v) => ms(v)).join(' ')}`,
    )
  } catch (error) {
    sample.error = (error as Error).message
    console.error(`!!! ${label} failed: ${sample.error}`)
  } finally {
    await sender?.stop()
    await started?.close()
    await sink?.stop()
    await started?.db?.drop()
  }
  return sample
}

export interface DeliveryLatencySummary {
  rate: number
  target: Target
  runs: number
  okRuns: number
  edgeSec: number
  ackP50: Spread
  ackP99: Spread
  p50: Spread
  p90: Spread
  p99: Spread
  max: Spread
  firstP99: Spread
  lastP99: Spread
  drainedAfterMs: Spread
  notAcked: number
  lost: number
  duplicates: number
  targetCores: Spread
  databaseCores?: Spread
  senderCores: Spread
  sinkCores: Spread
  otherCoresMax: number
}

function summarize(samples: DeliveryLatencySample[], edgeSec: number): DeliveryLatencySummary[] {
  const groups = new Map<string, DeliveryLatencySample[]>()
  for (const s of samples) {
    const key = `${s.rate}@${s.target}`
    groups.set(key, [...(groups.get(key) ?? []), s])
  }
  return [...groups.values()].map((group) => {
    const done = group.filter((s) => s.toSink && s.ack && s.cores)
    const first = group[0]!
    const pick = (f: (s: DeliveryLatencySample) => number | undefined) =>
      spread(done.map(f).filter((v): v is number => v !== undefined))
    return {
      rate: first.rate,
      target: first.target,
      runs: group.length,
      okRuns: group.filter((s) => s.ok).length,
      edgeSec,
      ackP50: pick((s) => s.ack!.latencyMs.p50),
      ackP99: pick((s) => s.ack!.latencyMs.p99),
      p50: pick((s) => s.toSink!.p50),
      p90: pick((s) => s.toSink!.p90),
      p99: pick((s) => s.toSink!.p99),
      max: pick((s) => s.toSink!.max),
      firstP99: pick((s) => s.firstP99),
      lastP99: pick((s) => s.lastP99),
      drainedAfterMs: pick((s) => s.drainedAfterMs),
      notAcked: group.reduce((n, s) => n + (s.ack ? s.ack.count - s.ack.ok : 0), 0),
      lost: group.reduce((n, s) => n + (s.lost ?? 0), 0),
      duplicates: group.reduce((n, s) => n + (s.duplicates ?? 0), 0),
      targetCores: pick((s) => s.cores!.target),
      databaseCores: first.target === 'gateway-pg' ? pick((s) => s.cores!.database) : undefined,
      senderCores: pick((s) => s.cores!.sender),
      sinkCores: pick((s) => s.cores!.sink),
      otherCoresMax: Math.max(0, ...group.map((s) => s.cores?.other ?? 0)),
    }
  })
}

export function deliveryLatencyTables(
  summaries: DeliveryLatencySummary[],
  seconds: number,
): { text: string; markdown: string } {
  const texts: string[] = []
  const mds: string[] = []
  for (const rate of [...new Set(summaries.map((s) => s.rate))]) {
    const rows = summaries.filter((s) => s.rate === rate)
    const edge = rows[0]!.edgeSec
    const edgeName = edge === 60 ? 'min' : `${num(edge)} s`
    const table = [
      [
        'target',
        'ack p50 ms',
        'ack p99 ms',
        'ack→dest p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        `p99 first ${edgeName}`,
        `p99 last ${edgeName}`,
        'drained after ms',
        'lost',
        'dup',
        'target cores',
        'sender',
        'sink',
        'other',
      ],
      ...rows.map((s) => [
        s.target + (s.okRuns < s.runs ? ` (${s.okRuns}/${s.runs} ok)` : ''),
        fmtSpread(s.ackP50),
        fmtSpread(s.ackP99),
        fmtSpread(s.p50),
        fmtSpread(s.p90),
        fmtSpread(s.p99),
        fmtSpread(s.max),
        fmtSpread(s.firstP99),
        fmtSpread(s.lastP99),
        s.drainedAfterMs.runs < s.runs
          ? `${fmtSpread(s.drainedAfterMs)} (not all)`
          : fmtSpread(s.drainedAfterMs),
        String(s.lost) + (s.notAcked ? ` (+${s.notAcked} not acked)` : ''),
        String(s.duplicates),
        fmtSpread(s.targetCores) + (s.databaseCores ? ` +${fmtSpread(s.databaseCores)} db` : ''),
        fmtSpread(s.senderCores),
        fmtSpread(s.sinkCores),
        s.otherCoresMax.toFixed(2) + (s.otherCoresMax >= BUSY_THRESHOLD ? ' !' : ''),
      ]),
    ]
    const title =
      `${rate}/s for ${seconds} s, one destination, sender and sink in their own processes ` +
      `(median of runs, min–max in brackets)`
    texts.push(`${title}\n${formatTable(table)}`)
    mds.push(`${title}\n\n${markdownTable(table)}`)
  }
  return { text: texts.join('\n\n'), markdown: mds.join('\n\n') }
}

const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2))

export async function runDeliveryLatency(o: DeliveryLatencyOptions) {
  const problem = gatewayBuildProblem()
  const targets = o.targets.filter((t) => t === 'floor' || !problem)
  if (problem && targets.length < o.targets.length)
    console.log(`[delivery-latency] skipping gateway targets: ${problem}`)
  const startedAt = new Date()
  const keys = ensureBenchKeys()
  // Ed25519 only (the gateway verifies that); sized in steps of 100,000 so that runs of different
  // lengths share a cached file. Each run's database is fresh, so every request is a new event.
  const needed = Math.max(...o.rates) * (o.warmup + o.seconds)
  const file = await ensureRequestsFile({
    count: Math.ceil(needed / 100_000) * 100_000,
    seed: '1',
    rsaCount: 0,
    keys,
  })

  let pg: Promise<BenchPostgres> | undefined
  const postgres = () => {
    pg ??= startBenchPostgres()
    return pg
  }
  const stopPg = async () => (await pg?.catch(() => undefined))?.stop()
  const onSignal = () => {
    console.error('[delivery-latency] interrupted: stopping PostgreSQL')
    void stopPg().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  console.log(
    `[delivery-latency] ${o.rates.map((r) => `${r}/s`).join(', ')} × ${targets.join(', ')}: ` +
      `${o.runs} run(s) × (${o.warmup} s warm-up + ${o.seconds} s), open loop over ${SOCKETS} connections, drain wait ${o.drainWaitSec} s`,
  )
  const samples: DeliveryLatencySample[] = []
  const ctx: Ctx = { o, keys, requestsFile: file.path, postgres }
  try {
    for (const rate of o.rates) {
      for (let run = 1; run <= o.runs; run++) {
        for (const target of targets) samples.push(await measure(rate, target, run, ctx))
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopPg()
  }
  const summaries = summarize(samples, o.seconds >= 120 ? 60 : o.seconds / 4)
  const tables = deliveryLatencyTables(summaries, o.seconds)
  console.log(`\n${tables.text}\n`)
  const report = {
    kind: 'delivery-latency',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineFacts(),
    options: o,
    summaries,
    samples,
    markdown: tables.markdown,
  }
  if (o.save) {
    await mkdir(resultsDir, { recursive: true })
    const out = join(resultsDir, `delivery-latency-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`[delivery-latency] raw results: ${out}`)
  }
  return { ok: samples.every((s) => s.ok), report }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  try {
    const { ok } = await runDeliveryLatency(parseDeliveryLatencyArgs(process.argv.slice(2)))
    process.exitCode = ok ? 0 : 1
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
