/**
 * Scale-out on one PostgreSQL: aggregate ingest and delivery throughput with 1, 2 and 3 gateway
 * processes, and where the CPU goes.
 *
 *   npx tsx bench/scale-out.ts [--processes 1,2,3] [--runs 3] [--duration 10] [--backlog 40000]
 *   npx tsx bench/scale-out.ts --skip-ingest        # delivery only (needs no wrk)
 *
 * Ingest: N gateway processes (`ROLE=ingest`) on one embedded PostgreSQL; one wrk per process,
 * the 50 connections divided among them, replaying disjoint slices of the signed requests, all
 * started together (warm-up, then the measured run). Aggregate req/s = the sum.
 * Delivery: a backlog of `--backlog` events (one no-op handler delivery each) is inserted due in an
 * hour; N worker processes (`ROLE=worker`, library mode, bench/servers/handler-gateway.mjs) start
 * and report ready; then every delivery is made due at once (one UPDATE + NOTIFY) and we time the
 * drain. The rate quoted is the steady one, from 10 % to 90 % done.
 * For both: CPU seconds of every gateway process and of the PostgreSQL cluster (its postmaster and
 * every backend, from /proc) per request or delivery, WAL bytes written (pg_current_wal_lsn), and
 * the machine's other load. On this 2-core machine the processes share the same two cores with
 * PostgreSQL and the load generator, so this measures the cost of coordination, not capacity.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { openStore } from '../src/store/open-store.js'
import { benchCommand, int, listOption, noSaveOption, quietWaitOption } from './lib/args.js'
import { fillBacklog } from './lib/backlog-fill.js'
import {
  freshDatabase,
  type GatewayProcess,
  gatewayBuildProblem,
  startGatewayProcess,
} from './lib/gateway.js'
import { handlerCount } from './lib/ipc.js'
import { type BenchKeys, ensureBenchKeys } from './lib/keys.js'
import { BUSY_THRESHOLD, type CpuWindowResult, cpuWindow, machineFacts, quietOrWarn } from './lib/machine.js'
import { resultsDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { probe } from './lib/probe.js'
import { ensureRequestsFile, type RequestsFile } from './lib/requests-file.js'
import { cpuSeconds } from './lib/server-process.js'
import { fmtSpread, formatTable, markdownTable, num, sleep, spread } from './lib/stats.js'
import { createTargets } from './lib/targets.js'
import { runWrk, type WrkResult, wrkVersion } from './lib/wrk.js'

export interface ScaleOutOptions {
  processes: number[]
  runs: number
  duration: number
  warmup: number
  connections: number
  backlog: number
  ingest: boolean
  delivery: boolean
  quietWaitSec: number
  save: boolean
}

export function parseScaleOutArgs(argv: string[]): ScaleOutOptions {
  const o = benchCommand(
    'scale-out.ts',
    'Scale-out on one PostgreSQL: ingest and delivery throughput with 1, 2 and 3 gateway processes.',
  )
    .addOption(listOption('--processes <list>', 'process counts', int(1, 16), [1, 2, 3]))
    .option('--runs <n>', 'runs per count, interleaved 1 2 3 1 2 3 …', int(1, 20), 3)
    .option('--duration <s>', 'measured seconds of each ingest run', int(1, 120), 10)
    .option('--warmup <s>', 'ingest warm-up seconds', int(0, 60), 2)
    .option('--connections <n>', 'wrk connections in total, divided among the processes', int(1, 5000), 50)
    .option('--backlog <n>', "events in each delivery run's backlog", int(1000, 5_000_000), 40_000)
    .option('--skip-ingest', 'delivery part only (no wrk needed)')
    .option('--skip-delivery', 'ingest part only')
    .addOption(quietWaitOption())
    .addOption(noSaveOption('scale-out'))
    .parse(argv, { from: 'user' })
    .opts()
  return {
    processes: o.processes,
    runs: o.runs,
    duration: o.duration,
    warmup: o.warmup,
    connections: o.connections,
    backlog: o.backlog,
    ingest: !o.skipIngest,
    delivery: !o.skipDelivery,
    quietWaitSec: o.quietWait,
    save: o.save,
  }
}

async function walLsnBytes(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ b: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS b`,
    )
    return Number(rows[0]!.b)
  } finally {
    await client.end()
  }
}

async function startMany(n: number, start: () => Promise<GatewayProcess>): Promise<GatewayProcess[]> {
  const settled = await Promise.allSettled(Array.from({ length: n }, start))
  const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) {
    await Promise.all(ok.map((g) => g.close()))
    throw (failed as PromiseRejectedResult).reason
  }
  return ok
}

interface IngestSample {
  processes: number
  run: number
  ok: boolean
  error?: string
  requestsPerSecond?: number
  perProcess?: number[]
  p99MsMax?: number
  errors?: number
  gatewayCpuUsPerReq?: number
  databaseCpuUsPerReq?: number
  wrkCores?: number
  gatewayCores?: number
  databaseCores?: number
  walBytesPerReq?: number
  otherCores?: number
  machine?: CpuWindowResult
}

interface Ctx {
  o: ScaleOutOptions
  keys: BenchKeys
  file?: RequestsFile
  postgres(): Promise<BenchPostgres>
}

async function ingestRun(n: number, run: number, ctx: Ctx): Promise<IngestSample> {
  const { o } = ctx
  const sample: IngestSample = { processes: n, run, ok: false }
  await quietOrWarn(`scale-out ingest ×${n} run ${run}`, o.quietWaitSec)
  const db = await freshDatabase('postgres', ctx.postgres)
  let gateways: GatewayProcess[] = []
  try {
    gateways = await startMany(n, () =>
      startGatewayProcess({ mode: 'cli', databaseUrl: db.url, keys: ctx.keys, env: { ROLE: 'ingest' } }),
    )
    const target = createTargets({ path: '/webhooks/ghl' })['gateway-pg']
    for (const g of gateways) {
      const p = await probe(g.baseUrl, target, ctx.keys)
      if (!p.ok) throw new Error(`probe failed: ${p.problems.join('; ')}`)
    }
    const file = ctx.file!
    const slice = Math.floor(file.count / n)
    const connections = (k: number) => Math.floor(o.connections / n) + (k < o.connections % n ? 1 : 0)
    const wrkAll = (starts: number[], durationSec: number) =>
      Promise.all(
        gateways.map((g, k) =>
          runWrk({
            url: `${g.baseUrl}/webhooks/ghl`,
            requestsFile: file.path,
            signature: 'ed25519',
            start: starts[k]!,
            threads: 1,
            connections: connections(k),
            durationSec,
          }),
        ),
      )
    let starts = gateways.map((_, k) => k * slice)
    if (o.warmup > 0) {
      const warm = await wrkAll(starts, o.warmup)
      starts = starts.map((s, k) => s + warm[k]!.issued)
    }
    const pgc = await ctx.postgres()
    const wal0 = await walLsnBytes(db.url)
    const window = cpuWindow()
    const cpu0 = gateways.map((g) => cpuSeconds(g.pid) ?? 0)
    const db0 = pgc.cpuSeconds()
    const results: WrkResult[] = await wrkAll(starts, o.duration)
    const cpu = gateways.reduce((sum, g, k) => sum + (cpuSeconds(g.pid) ?? cpu0[k]!) - cpu0[k]!, 0)
    const dbCpu = pgc.cpuSeconds() - db0
    const w = window.stop()
    const wal = (await walLsnBytes(db.url)) - wal0
    for (const [k, r] of results.entries()) {
      if (starts[k]! + r.issued > (k + 1) * slice)
        console.error(`!!! wrk ${k + 1} ran past its slice of the requests file: some bodies were duplicates`)
    }
    const requests = results.reduce((s, r) => s + r.requests, 0)
    const seconds = Math.max(...results.map((r) => r.durationUs / 1e6))
    sample.requestsPerSecond = results.reduce((s, r) => s + r.requestsPerSec, 0)
    sample.perProcess = results.map((r) => r.requestsPerSec)
    sample.p99MsMax = Math.max(...results.map((r) => r.latencyUs.p99)) / 1000
    sample.errors = results.reduce(
      (s, r) => s + r.errors.status + r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout,
      0,
    )
    sample.gatewayCpuUsPerReq = (cpu / requests) * 1e6
    sample.databaseCpuUsPerReq = (dbCpu / requests) * 1e6
    sample.gatewayCores = cpu / seconds
    sample.databaseCores = dbCpu / seconds
    sample.wrkCores = results.reduce((s, r) => s + r.wrkCpuSec, 0) / seconds
    sample.walBytesPerReq = wal / requests
    sample.otherCores = w.otherCores
    sample.machine = w
    sample.ok = sample.errors === 0 && gateways.every((g) => !g.exited())
    if (!sample.ok) sample.error = `${sample.errors} errors`
    console.log(
      `  ingest ×${n} run ${run}: ${Math.round(sample.requestsPerSecond).toLocaleString('en-US')} req/s ` +
        `(${sample.perProcess.map((r) => Math.round(r).toLocaleString('en-US')).join(' + ')}), p99 ≤ ${sample.p99MsMax.toFixed(1)} ms, ` +
        `errors ${sample.errors}; CPU µs/req gateways ${sample.gatewayCpuUsPerReq.toFixed(0)} + PostgreSQL ${sample.databaseCpuUsPerReq.toFixed(0)}; ` +
        `cores: gateways ${sample.gatewayCores.toFixed(2)}, PostgreSQL ${sample.databaseCores.toFixed(2)}, wrk ${sample.wrkCores.toFixed(2)}, ` +
        `other ${w.otherCores.toFixed(2)}${w.otherCores >= BUSY_THRESHOLD ? ' [NOISY]' : ''}, iowait ${w.iowaitCores.toFixed(2)}, ` +
        `steal ${w.stealCores.toFixed(2)}; WAL ${sample.walBytesPerReq.toFixed(0)} B/req`,
    )
  } catch (error) {
    sample.error = (error as Error).message
    console.error(`!!! ingest ×${n} run ${run} failed: ${sample.error}`)
  } finally {
    await Promise.all(gateways.map((g) => g.close()))
    await db.drop()
  }
  return sample
}

interface DeliverySample {
  processes: number
  run: number
  ok: boolean
  error?: string
  deliveries: number
  /** 10 % → 90 % done. */
  steadyPerSecond?: number
  /** Everything, from the UPDATE to the last delivery. */
  overallPerSecond?: number
  seconds?: number
  handlerRuns?: number[]
  gatewayCpuUsPerDelivery?: number
  databaseCpuUsPerDelivery?: number
  gatewayCores?: number
  databaseCores?: number
  walBytesPerDelivery?: number
  otherCores?: number
  machine?: CpuWindowResult
}

async function deliveryRun(n: number, run: number, ctx: Ctx): Promise<DeliverySample> {
  const { o } = ctx
  const sample: DeliverySample = { processes: n, run, ok: false, deliveries: o.backlog }
  const db = await freshDatabase('postgres', ctx.postgres)
  const store = openStore({ url: db.url, poolSize: 4 })
  let workers: GatewayProcess[] = []
  try {
    await store.migrate()
    // Due in an hour: nothing runs until every worker is up.
    await fillBacklog({ store, events: o.backlog, subscriberIds: ['bench'], runAt: Date.now() + 3_600_000 })
    workers = await startMany(n, () =>
      startGatewayProcess({
        mode: 'handler',
        databaseUrl: db.url,
        keys: ctx.keys,
        env: { ROLE: 'worker', BENCH_HANDLER_ID: 'bench', BENCH_HANDLER_CONCURRENCY: '32', RETENTION: 'off' },
      }),
    )
    await quietOrWarn(`scale-out delivery ×${n} run ${run}`, o.quietWaitSec)
    const pgc = await ctx.postgres()
    const wal0 = await walLsnBytes(db.url)
    const window = cpuWindow()
    const cpu0 = workers.map((g) => cpuSeconds(g.pid) ?? 0)
    const db0 = pgc.cpuSeconds()
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const t0 = performance.now()
    try {
      await client.query(`UPDATE deliveries SET run_at = now() WHERE state = 'pending'`)
    } finally {
      await client.end()
    }
    await store.announceWork()
    let t10: number | undefined
    let t90: number | undefined
    const deadline = Date.now() + 600_000
    for (;;) {
      const open = await store.countBacklog()
      const done = o.backlog - open
      const t = performance.now()
      if (t10 === undefined && done >= o.backlog * 0.1) t10 = t
      if (t90 === undefined && done >= o.backlog * 0.9) t90 = t
      if (open === 0) break
      if (Date.now() > deadline) throw new Error(`not drained after 10 minutes (${done} done)`)
      await sleep(100)
    }
    const seconds = (performance.now() - t0) / 1000
    const cpu = workers.reduce((sum, g, k) => sum + (cpuSeconds(g.pid) ?? cpu0[k]!) - cpu0[k]!, 0)
    const dbCpu = pgc.cpuSeconds() - db0
    const w = window.stop()
    const wal = (await walLsnBytes(db.url)) - wal0
    sample.handlerRuns = await Promise.all(workers.map((g) => handlerCount(g.child)))
    const runs = sample.handlerRuns.reduce((a, b) => a + b, 0)
    sample.seconds = seconds
    sample.overallPerSecond = o.backlog / seconds
    sample.steadyPerSecond = (o.backlog * 0.8) / (((t90 ?? t0) - (t10 ?? t0)) / 1000)
    sample.gatewayCpuUsPerDelivery = (cpu / o.backlog) * 1e6
    sample.databaseCpuUsPerDelivery = (dbCpu / o.backlog) * 1e6
    sample.gatewayCores = cpu / seconds
    sample.databaseCores = dbCpu / seconds
    sample.walBytesPerDelivery = wal / o.backlog
    sample.otherCores = w.otherCores
    sample.machine = w
    sample.ok = runs === o.backlog
    if (!sample.ok) sample.error = `the handlers ran ${runs} times for ${o.backlog} deliveries`
    console.log(
      `  delivery ×${n} run ${run}: ${Math.round(sample.steadyPerSecond).toLocaleString('en-US')}/s steady ` +
        `(${Math.round(sample.overallPerSecond).toLocaleString('en-US')}/s overall, ${seconds.toFixed(1)} s; runs per process ` +
        `${sample.handlerRuns.join(' + ')}); CPU µs/delivery workers ${sample.gatewayCpuUsPerDelivery.toFixed(0)} + ` +
        `PostgreSQL ${sample.databaseCpuUsPerDelivery.toFixed(0)}; cores: workers ${sample.gatewayCores.toFixed(2)}, ` +
        `PostgreSQL ${sample.databaseCores.toFixed(2)}, other ${w.otherCores.toFixed(2)}${w.otherCores >= BUSY_THRESHOLD ? ' [NOISY]' : ''}, ` +
        `iowait ${w.iowaitCores.toFixed(2)}, steal ${w.stealCores.toFixed(2)}; ` +
        `WAL ${sample.walBytesPerDelivery.toFixed(0)} B/delivery`,
    )
  } catch (error) {
    sample.error = (error as Error).message
    console.error(`!!! delivery ×${n} run ${run} failed: ${sample.error}`)
  } finally {
    await Promise.all(workers.map((g) => g.close()))
    await store.close()
    await db.drop()
  }
  return sample
}

function ingestTable(samples: IngestSample[], counts: number[]) {
  const one = spread(
    samples.filter((s) => s.processes === 1 && s.requestsPerSecond).map((s) => s.requestsPerSecond!),
  )
  const rows = [
    [
      'processes',
      'req/s (sum)',
      'vs 1 process',
      'p99 ms (worst process)',
      'gateway CPU µs/req',
      'PostgreSQL CPU µs/req',
      'cores: gateways + PostgreSQL + wrk',
      'iowait cores',
      'WAL B/req',
      'other cores',
    ],
  ]
  for (const n of counts) {
    const g = samples.filter((s) => s.processes === n && s.requestsPerSecond !== undefined)
    if (!g.length) continue
    const pick = (f: (s: IngestSample) => number) => spread(g.map(f))
    const rps = pick((s) => s.requestsPerSecond!)
    const other = Math.max(0, ...g.map((s) => s.otherCores ?? 0))
    rows.push([
      String(n) + (g.some((s) => !s.ok) ? ` (${g.filter((s) => !s.ok).length} failed)` : ''),
      fmtSpread(rps),
      one.runs ? `${(rps.median / one.median).toFixed(2)}×` : '–',
      fmtSpread(pick((s) => s.p99MsMax!)),
      fmtSpread(pick((s) => s.gatewayCpuUsPerReq!)),
      fmtSpread(pick((s) => s.databaseCpuUsPerReq!)),
      `${num(pick((s) => s.gatewayCores!).median)} + ${num(pick((s) => s.databaseCores!).median)} + ${num(pick((s) => s.wrkCores!).median)}`,
      num(pick((s) => s.machine?.iowaitCores ?? Number.NaN).median),
      num(pick((s) => s.walBytesPerReq!).median),
      other.toFixed(2) + (other >= BUSY_THRESHOLD ? ' !' : ''),
    ])
  }
  return rows
}

function deliveryTable(samples: DeliverySample[], counts: number[]) {
  const one = spread(
    samples.filter((s) => s.processes === 1 && s.steadyPerSecond).map((s) => s.steadyPerSecond!),
  )
  const rows = [
    [
      'workers',
      'deliveries/s (10→90 %)',
      'vs 1 worker',
      'overall/s',
      'worker CPU µs/dlv',
      'PostgreSQL CPU µs/dlv',
      'cores: workers + PostgreSQL',
      'iowait cores',
      'WAL B/dlv',
      'other cores',
    ],
  ]
  for (const n of counts) {
    const g = samples.filter((s) => s.processes === n && s.steadyPerSecond !== undefined)
    if (!g.length) continue
    const pick = (f: (s: DeliverySample) => number) => spread(g.map(f))
    const rate = pick((s) => s.steadyPerSecond!)
    const other = Math.max(0, ...g.map((s) => s.otherCores ?? 0))
    rows.push([
      String(n) + (g.some((s) => !s.ok) ? ` (${g.filter((s) => !s.ok).length} failed)` : ''),
      fmtSpread(rate),
      one.runs ? `${(rate.median / one.median).toFixed(2)}×` : '–',
      fmtSpread(pick((s) => s.overallPerSecond!)),
      fmtSpread(pick((s) => s.gatewayCpuUsPerDelivery!)),
      fmtSpread(pick((s) => s.databaseCpuUsPerDelivery!)),
      `${num(pick((s) => s.gatewayCores!).median)} + ${num(pick((s) => s.databaseCores!).median)}`,
      num(pick((s) => s.machine?.iowaitCores ?? Number.NaN).median),
      num(pick((s) => s.walBytesPerDelivery!).median),
      other.toFixed(2) + (other >= BUSY_THRESHOLD ? ' !' : ''),
    ])
  }
  return rows
}

export async function runScaleOut(o: ScaleOutOptions) {
  const problem = gatewayBuildProblem()
  if (problem) throw new Error(problem)
  if (o.ingest && !wrkVersion())
    throw new Error('wrk is not installed: apt-get install -y wrk (or --skip-ingest)')
  const startedAt = new Date()
  const keys = ensureBenchKeys()
  const file = o.ingest
    ? await ensureRequestsFile({ count: 200_000, seed: '1', rsaCount: 50_000, keys })
    : undefined
  let pgc: Promise<BenchPostgres> | undefined
  const postgres = () => {
    pgc ??= startBenchPostgres()
    return pgc
  }
  const stopPg = async () => (await pgc?.catch(() => undefined))?.stop()
  const onSignal = () => void stopPg().finally(() => process.exit(130))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const ctx: Ctx = { o, keys, file, postgres }
  const ingest: IngestSample[] = []
  const delivery: DeliverySample[] = []
  console.log(
    `[scale-out] ${o.processes.join(', ')} processes on one embedded PostgreSQL, ${o.runs} run(s) each` +
      (o.ingest ? `; ingest: wrk -c${o.connections} in total, ${o.warmup} s + ${o.duration} s` : '') +
      (o.delivery ? `; delivery: ${o.backlog.toLocaleString('en-US')}-event backlog` : ''),
  )
  try {
    if (o.ingest)
      for (let run = 1; run <= o.runs; run++)
        for (const n of o.processes) ingest.push(await ingestRun(n, run, ctx))
    if (o.delivery)
      for (let run = 1; run <= o.runs; run++)
        for (const n of o.processes) delivery.push(await deliveryRun(n, run, ctx))
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopPg()
  }
  const it = ingestTable(ingest, o.processes)
  const dt = deliveryTable(delivery, o.processes)
  if (o.ingest)
    console.log(
      `\nIngest, N gateway processes on one PostgreSQL (median of runs, min–max)\n${formatTable(it)}`,
    )
  if (o.delivery) console.log(`\nDelivery, N worker processes draining one backlog\n${formatTable(dt)}\n`)
  const report = {
    kind: 'scale-out',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineFacts(),
    options: o,
    ingest,
    delivery,
    markdown: [o.ingest ? markdownTable(it) : '', o.delivery ? markdownTable(dt) : '']
      .filter(Boolean)
      .join('\n\n'),
  }
  if (o.save) {
    await mkdir(resultsDir, { recursive: true })
    const out = join(resultsDir, `scale-out-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`[scale-out] raw results: ${out}`)
  }
  return { ok: [...ingest, ...delivery].every((s) => s.ok), report }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  try {
    const { ok } = await runScaleOut(parseScaleOutArgs(process.argv.slice(2)))
    process.exitCode = ok ? 0 : 1
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
