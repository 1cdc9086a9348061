/**
 * Backlog drain: a million events wait while no worker runs; then one worker process starts. Does
 * it drain at a constant rate, and does its memory stay flat?
 *
 *   npx tsx bench/backlog.ts                          # 1,000,000 events, SQLite
 *   npx tsx bench/backlog.ts --store postgres
 *   npx tsx bench/backlog.ts --events 50000           # quick
 *
 * 1. Enqueue: `--events` ContactCreate events, each with one pending delivery for the handler id
 *    `bench`, inserted straight through `store.insertEvents()` in batches (the call ingest's group
 *    commit makes; much faster than a million HTTP requests).
 * 2. Drain: one gateway process in library mode (bench/servers/handler-gateway.mjs, `ROLE=worker`,
 *    a no-op handler with id `bench`, concurrency 32) starts. Every second this process counts the
 *    open deliveries in the database and reads the worker's RSS (`/proc/<pid>/status` VmRSS) and
 *    CPU; per 10 s window it reports the drain rate.
 * Targets (issue 8): drain rate constant ±10 % (windows after the first, which includes start-up);
 * RSS flat and under 300 MB. Baseline: the enqueue rate of the same store in the same run (a
 * one-writer bulk insert of the same rows), which bounds what any drain — which must write at
 * least the same rows again — can reach. Everything stops after `--limit-minutes`.
 */
import { readFileSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Option } from 'commander'
import pg from 'pg'
import { openStore } from '../src/store/open-store.js'
import { benchCommand, int, noSaveOption, quietWaitOption } from './lib/args.js'
import { fillBacklog } from './lib/backlog-fill.js'
import { freshDatabase, gatewayBuildProblem, type StoreKind, startGatewayProcess } from './lib/gateway.js'
import { handlerCount } from './lib/ipc.js'
import { ensureBenchKeys } from './lib/keys.js'
import { BUSY_THRESHOLD, cpuWindow, machineFacts, quietOrWarn } from './lib/machine.js'
import { resultsDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { cpuSeconds } from './lib/server-process.js'
import { formatTable, markdownTable, median, num, sleep } from './lib/stats.js'

export interface BacklogOptions {
  events: number
  store: StoreKind
  concurrency: number
  batch: number
  windowSec: number
  limitMinutes: number
  quietWaitSec: number
  save: boolean
}

export function parseBacklogArgs(argv: string[]): BacklogOptions {
  const o = benchCommand(
    'backlog.ts',
    'Backlog drain: one worker process drains a backlog of waiting events.',
  )
    .option('--events <n>', 'events (one delivery each) in the backlog', int(100, 10_000_000), 1_000_000)
    .addOption(
      new Option('--store <s>', 'the store').choices(['sqlite', 'postgres'] as const).default('sqlite'),
    )
    .option('--concurrency <n>', "the handler's concurrency in the worker", int(1, 1000), 32)
    .option('--batch <n>', 'events per insertEvents() transaction while enqueueing', int(1, 10_000), 1000)
    .option('--window <s>', 'seconds per reporting window', int(1, 600), 10)
    .option('--limit-minutes <m>', 'hard limit for enqueue + drain', int(1, 600), 20)
    .addOption(quietWaitOption('before the drain'))
    .addOption(noSaveOption('backlog'))
    .parse(argv, { from: 'user' })
    .opts()
  return {
    events: o.events,
    store: o.store,
    concurrency: o.concurrency,
    batch: o.batch,
    windowSec: o.window,
    limitMinutes: o.limitMinutes,
    quietWaitSec: o.quietWait,
    save: o.save,
  }
}

interface Sample {
  /** Seconds since the worker process was spawned. */
  t: number
  done: number
  /** How long this process's count of open deliveries took (the sampler's own cost). */
  countMs: number
  rssMb: number
  workerCpuSec: number
  databaseCpuSec: number
}

function rssMb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

interface Window {
  from: number
  to: number
  done: number
  rate: number
  rssMb: number
}

function windows(samples: Sample[], windowSec: number): Window[] {
  const out: Window[] = []
  let start = samples[0]
  for (const s of samples) {
    if (!start) break
    if (s.t - start.t >= windowSec - 0.05) {
      out.push({
        from: start.t,
        to: s.t,
        done: s.done,
        rate: (s.done - start.done) / (s.t - start.t),
        rssMb: s.rssMb,
      })
      start = s
    }
  }
  return out
}

/** Bytes on disk: the database (SQLite: main file + WAL, reported apart). */
async function databaseBytes(kind: StoreKind, url: string): Promise<{ total: number; wal?: number }> {
  if (kind === 'sqlite') {
    const path = url.slice('sqlite:'.length)
    const size = (suffix: string) => {
      try {
        return statSync(path + suffix).size
      } catch {
        return 0
      }
    }
    return { total: size('') + size('-wal') + size('-shm'), wal: size('-wal') }
  }
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')
    return { total: Number(rows[0]!.n) }
  } finally {
    await client.end()
  }
}

export async function runBacklog(o: BacklogOptions) {
  const problem = gatewayBuildProblem()
  if (problem) throw new Error(problem)
  const startedAt = new Date()
  const deadline = Date.now() + o.limitMinutes * 60_000
  const keys = ensureBenchKeys()
  let pgCluster: Promise<BenchPostgres> | undefined
  const postgres = () => {
    pgCluster ??= startBenchPostgres()
    return pgCluster
  }
  let stopWorker: (() => Promise<void>) | undefined
  const cleanup: (() => Promise<unknown>)[] = []
  const onSignal = () => {
    console.error('[backlog] interrupted: stopping the worker and the database')
    void (async () => {
      await stopWorker?.()
      for (const c of [...cleanup].reverse()) await c().catch(() => {})
      await (await pgCluster?.catch(() => undefined))?.stop()
      process.exit(130)
    })()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  try {
    const db = await freshDatabase(o.store, postgres)
    cleanup.push(() => db.drop())
    const store = openStore({ url: db.url, poolSize: 4 })
    cleanup.push(() => store.close())
    await store.migrate()

    // 1. Enqueue, no worker running.
    console.log(
      `[backlog] enqueueing ${o.events.toLocaleString('en-US')} events with one delivery each (${o.store}) …`,
    )
    const enqueueStarted = performance.now()
    let lastLog = enqueueStarted
    const inserted = await fillBacklog({
      store,
      events: o.events,
      subscriberIds: ['bench'],
      batch: o.batch,
      shouldStop: () => Date.now() > deadline,
      onProgress: (n) => {
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now()
          const rate = n / ((lastLog - enqueueStarted) / 1000)
          console.log(
            `[backlog]   ${n.toLocaleString('en-US')} enqueued (${Math.round(rate).toLocaleString('en-US')}/s)`,
          )
        }
      },
    })
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000
    const backlog = await store.countBacklog()
    const bytes = await databaseBytes(o.store, db.url)
    console.log(
      `[backlog] enqueued ${inserted.toLocaleString('en-US')} in ${enqueueSeconds.toFixed(1)} s ` +
        `(${Math.round(inserted / enqueueSeconds).toLocaleString('en-US')} events/s); open deliveries ${backlog.toLocaleString('en-US')}; ` +
        `database ${(bytes.total / 1e6).toFixed(0)} MB` +
        (bytes.wal === undefined ? '' : ` (of which WAL ${(bytes.wal / 1e6).toFixed(0)} MB)`),
    )
    if (inserted < o.events)
      throw new Error(`the time limit passed while enqueueing (${inserted} of ${o.events})`)

    // 2. Drain with one worker process.
    const busyBefore = await quietOrWarn('backlog drain', o.quietWaitSec)
    const pgc = o.store === 'postgres' ? await postgres() : undefined
    const window = cpuWindow()
    const spawnedAt = performance.now()
    const worker = await startGatewayProcess({
      mode: 'handler',
      databaseUrl: db.url,
      keys,
      env: {
        ROLE: 'worker',
        BENCH_HANDLER_ID: 'bench',
        BENCH_HANDLER_CONCURRENCY: String(o.concurrency),
        // Retention would otherwise look for prunable events every so often; nothing is prunable here.
        RETENTION: 'off',
      },
      waitReady: false,
    })
    stopWorker = () => worker.close()
    const samples: Sample[] = []
    const dbCpu0 = pgc?.cpuSeconds() ?? 0
    const sample = async (): Promise<Sample> => {
      const countStarted = performance.now()
      const open = await store.countBacklog()
      return {
        t: (performance.now() - spawnedAt) / 1000,
        done: backlog - open,
        countMs: performance.now() - countStarted,
        rssMb: rssMb(worker.pid),
        workerCpuSec: cpuSeconds(worker.pid) ?? Number.NaN,
        databaseCpuSec: (pgc?.cpuSeconds() ?? 0) - dbCpu0,
      }
    }
    samples.push({ t: 0, done: 0, countMs: 0, rssMb: rssMb(worker.pid), workerCpuSec: 0, databaseCpuSec: 0 })
    let readyAt: number | undefined
    void worker.ready().then(
      () => {
        readyAt = (performance.now() - spawnedAt) / 1000
      },
      () => {},
    )
    let lastPrint = 0
    let timedOut = false
    for (;;) {
      const due = spawnedAt + samples.length * 1000
      await sleep(Math.max(0, due - performance.now()))
      if (worker.exited()) throw new Error(`the worker exited: ${worker.output().slice(-2000)}`)
      const s = await sample()
      samples.push(s)
      if (s.t - lastPrint >= o.windowSec) {
        lastPrint = s.t
        const prev = samples[Math.max(0, samples.length - 1 - o.windowSec)]!
        console.log(
          `[backlog]   t=${s.t.toFixed(0).padStart(4)} s  done ${s.done.toLocaleString('en-US').padStart(9)}  ` +
            `last ${o.windowSec} s ${Math.round((s.done - prev.done) / (s.t - prev.t)).toLocaleString('en-US')}/s  RSS ${s.rssMb.toFixed(0)} MB`,
        )
      }
      if (s.done >= backlog) break
      if (Date.now() > deadline) {
        timedOut = true
        break
      }
    }
    const w = window.stop()
    const last = samples.at(-1)!
    const drainSeconds = last.t
    // Cross-check: the handler's own count of runs must match what the database says is done.
    const handlerRuns = await handlerCount(worker.child).catch(() => Number.NaN)
    await worker.close()
    stopWorker = undefined

    // 3. Report.
    const wins = windows(samples, o.windowSec)
    // Steady state: every full window after the first (start-up, JIT, first claims).
    const steady = wins.slice(1).filter((x) => x.to - x.from >= o.windowSec - 0.05)
    const rates = steady.map((x) => x.rate)
    const med = median(rates)
    const minRate = rates.length ? Math.min(...rates) : Number.NaN
    const maxRate = rates.length ? Math.max(...rates) : Number.NaN
    const deviation = Math.max(med - minRate, maxRate - med) / med
    const rss = samples.map((s) => s.rssMb).filter(Number.isFinite)
    const peakRss = Math.max(...rss)
    const rssAfterFirstWindow = samples.find((s) => s.t >= o.windowSec)?.rssMb ?? Number.NaN
    const result = {
      store: o.store,
      events: o.events,
      enqueueSeconds,
      enqueueRate: inserted / enqueueSeconds,
      databaseMb: bytes.total / 1e6,
      walMb: bytes.wal === undefined ? undefined : bytes.wal / 1e6,
      drained: last.done,
      handlerRuns,
      drainSeconds,
      workerReadySeconds: readyAt,
      drainRate: last.done / drainSeconds,
      windowRate: { min: minRate, median: med, max: maxRate, deviation, windows: steady.length },
      rss: {
        startMb: samples[1]?.rssMb,
        afterFirstWindowMb: rssAfterFirstWindow,
        peakMb: peakRss,
        endMb: last.rssMb,
      },
      workerCpuUsPerDelivery: (last.workerCpuSec / last.done) * 1e6,
      databaseCpuUsPerDelivery: pgc ? (last.databaseCpuSec / last.done) * 1e6 : undefined,
      otherCores: w.otherCores,
      machine: w,
      /** This process counted the open deliveries once a second (the worker does too, for back-pressure). */
      countMs: {
        median: median(samples.slice(1).map((s) => s.countMs)),
        max: Math.max(...samples.map((s) => s.countMs)),
      },
      busyBefore,
      timedOut,
      meetsRate: deviation <= 0.1,
      meetsRss: peakRss < 300,
    }
    const winRows = [
      ['window s', 'done', 'deliveries/s', 'RSS MB'],
      ...wins.map((x) => [
        `${x.from.toFixed(0)}–${x.to.toFixed(0)}`,
        x.done.toLocaleString('en-US'),
        Math.round(x.rate).toLocaleString('en-US'),
        x.rssMb.toFixed(0),
      ]),
    ]
    // A compact view for the docs: about a dozen rows spread over the run.
    const step = Math.max(1, Math.ceil(wins.length / 12))
    const compact = [
      winRows[0]!,
      ...winRows.slice(1).filter((_, i) => i % step === 0 || i === wins.length - 1),
    ]
    const summaryRows = [
      [
        'store',
        'events',
        'enqueue/s (baseline)',
        'drain total s',
        'drain/s overall',
        'drain / enqueue',
        'window/s min / median / max',
        'spread vs median',
        'RSS start → peak → end MB',
        'worker CPU µs/dlv',
        'db CPU µs/dlv',
        'iowait cores',
        'other cores',
      ],
      [
        o.store,
        o.events.toLocaleString('en-US'),
        num(result.enqueueRate),
        num(drainSeconds),
        num(result.drainRate),
        `${(result.drainRate / result.enqueueRate).toFixed(2)}×`,
        `${num(minRate)} / ${num(med)} / ${num(maxRate)}`,
        `±${(deviation * 100).toFixed(1)} % ${result.meetsRate ? '(target ±10 %: met)' : '(target ±10 %: NOT MET)'}`,
        `${num(result.rss.startMb ?? Number.NaN)} → ${num(peakRss)} → ${num(last.rssMb)} ${result.meetsRss ? '(< 300: met)' : '(< 300: NOT MET)'}`,
        num(result.workerCpuUsPerDelivery),
        result.databaseCpuUsPerDelivery === undefined ? '–' : num(result.databaseCpuUsPerDelivery),
        num(w.iowaitCores),
        w.otherCores.toFixed(2) + (w.otherCores >= BUSY_THRESHOLD ? ' !' : ''),
      ],
    ]
    console.log(`\nPer ${o.windowSec} s window\n${formatTable(winRows)}\n`)
    console.log(`Backlog drain\n${formatTable(summaryRows)}`)
    if (timedOut) console.error(`!!! the ${o.limitMinutes} minute limit passed before the backlog was empty`)
    const report = {
      kind: 'backlog',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: machineFacts(),
      options: o,
      result,
      windows: wins,
      samples,
      markdown: `${markdownTable(summaryRows)}\n\n${markdownTable(compact)}`,
    }
    if (o.save) {
      await mkdir(resultsDir, { recursive: true })
      const out = join(resultsDir, `backlog-${o.store}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
      await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
      console.log(`[backlog] raw results: ${out}`)
    }
    if (handlerRuns !== last.done)
      console.error(
        `!!! the handler ran ${handlerRuns} times for ${last.done} deliveries done in the database`,
      )
    return { ok: !timedOut && handlerRuns === last.done, report }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopWorker?.()
    for (const c of [...cleanup].reverse()) await c().catch(() => {})
    await (await pgCluster?.catch(() => undefined))?.stop()
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  try {
    const { ok } = await runBacklog(parseBacklogArgs(process.argv.slice(2)))
    process.exitCode = ok ? 0 : 1
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
