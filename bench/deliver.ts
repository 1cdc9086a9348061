/**
 * Delivery throughput: how fast do HTTP destinations drain a backlog, next to a plain HTTP client
 * sending the same number of requests to the same sink?
 *
 *   npx tsx bench/deliver.ts                                  # both stores, fan-out 1 and 5, 3 runs
 *   npx tsx bench/deliver.ts --stores sqlite --fanout 1 --events 2000 --runs 1
 *
 * Per run, store and fan-out: N events, each with its deliveries to `fanout` destinations (planned
 * by the same matcher ingest uses), are committed while no worker runs; then the worker (the
 * gateway's own Worker and DestinationSet, in this process) starts and we time until the backlog
 * is empty. Baseline `bare-send`: an undici Pool (the gateway's HTTP client library) with the same
 * number of requests in flight sends the same number of envelope-sized POSTs to the same sink —
 * the ceiling for any deliverer on this machine, with no store at all.
 *
 * The sink is node:http in a child process answering 200 at once, so it does not share the
 * worker's event loop. Latency from ack to destination moved to bench/e2e.ts, which runs the
 * gateway in its own process and sends at a fixed rate.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Pool } from 'undici'
import { createTypeMapper, publishedType } from '../src/catalog/index.js'
import { Worker } from '../src/deliver/worker.js'
import { DestinationSet } from '../src/destinations/destination-set.js'
import { destinationSchema } from '../src/destinations/schema.js'
import { SubscriberRegistry } from '../src/dispatch/registry.js'
import { planDeliveries } from '../src/dispatch/subscribers.js'
import { newId } from '../src/ids.js'
import { createLogger } from '../src/observe/logger.js'
import { createMetrics } from '../src/observe/metrics.js'
import { openStore } from '../src/store/open-store.js'
import type { NewEvent, Store } from '../src/store/types.js'
import { benchCommand, int, listOption, noSaveOption, oneOf, quietWaitOption } from './lib/args.js'
import { freshDatabase, type StoreKind } from './lib/gateway.js'
import { createBodyGenerator } from './lib/ghl-body.js'
import { BUSY_THRESHOLD, type CpuWindowResult, cpuWindow, machineFacts, quietOrWarn } from './lib/machine.js'
import { resultsDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { cpuSeconds, freePort } from './lib/server-process.js'
import { fmtSpread, formatTable, markdownTable, type Spread, sleep, spread } from './lib/stats.js'
import { storedGhlEvent } from './lib/stored-event.js'

export interface DeliverOptions {
  stores: StoreKind[]
  fanouts: number[]
  events: number
  runs: number
  workerConcurrency: number
  destinationConcurrency: number
  quietWaitSec: number
  save: boolean
}

export function parseDeliverArgs(argv: string[]): DeliverOptions {
  const o = benchCommand(
    'deliver.ts',
    'Delivery throughput: how fast HTTP destinations drain a backlog, next to a plain HTTP client.',
  )
    .addOption(
      listOption('--stores <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
        'sqlite',
        'postgres',
      ]),
    )
    .addOption(listOption('--fanout <list>', 'destinations per event', int(1, 50), [1, 5]))
    .option('--events <n>', 'events per run', int(100, 1_000_000), 5000)
    .option('--runs <n>', 'runs, interleaved over stores and fan-outs', int(1, 20), 3)
    .option(
      '--worker-concurrency <n>',
      "WORKER_CONCURRENCY; the default is the gateway's",
      int(1, 10_000),
      32,
    )
    .option(
      '--destination-concurrency <n>',
      "each destination's rateLimit.concurrency; the default is the gateway's",
      int(1, 1000),
      10,
    )
    .addOption(quietWaitOption())
    .addOption(noSaveOption('deliver'))
    .parse(argv, { from: 'user' })
    .opts()
  return {
    stores: o.stores,
    fanouts: o.fanout,
    events: o.events,
    runs: o.runs,
    workerConcurrency: o.workerConcurrency,
    destinationConcurrency: o.destinationConcurrency,
    quietWaitSec: o.quietWait,
    save: o.save,
  }
}

// --- the sink: a child process answering 200 at once, counting requests ---
const SINK = `
import { createServer } from 'node:http'
const OK = Buffer.from('{"ok":true}')
let count = 0
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count }))
    return
  }
  req.on('data', () => {})
  req.on('end', () => {
    count++
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length })
    res.end(OK)
  })
})
server.keepAliveTimeout = 65000
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\\n'))
const stop = () => { server.closeAllConnections(); server.close(() => process.exit(0)) }
process.on('SIGTERM', stop)
process.on('disconnect', stop)
`

interface Sink {
  url: string
  child: ChildProcess
  count(): Promise<number>
  stop(): Promise<void>
}

async function startSink(): Promise<Sink> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--input-type=module', '-e', SINK], {
    env: { PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)))
  })
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    child,
    count: async () => ((await (await fetch(url)).json()) as { count: number }).count,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** ContactCreate events as ingest would store them (realistic bodies, classified). */
function contactEvents(count: number, seed: string): NewEvent[] {
  const now = Date.now()
  const bodies = createBodyGenerator(seed, now)
  return Array.from({ length: count }, (_, i) => storedGhlEvent(Buffer.from(bodies.body(i)), now))
}

interface DrainSample {
  kind: 'drain'
  store: StoreKind
  fanout: number
  run: number
  ok: boolean
  error?: string
  events: number
  deliveries: number
  received: number
  enqueueSeconds: number
  seconds: number
  eventsPerSecond: number
  deliveriesPerSecond: number
  /** CPU per delivery: this process (worker + HTTP client), the sink, PostgreSQL. */
  workerCpuUs: number
  sinkCpuUs: number
  databaseCpuUs?: number
  otherCores: number
  machine: CpuWindowResult
}

interface BareSample {
  kind: 'bare-send'
  fanout: number
  run: number
  requests: number
  inFlight: number
  seconds: number
  requestsPerSecond: number
  clientCpuUs: number
  sinkCpuUs: number
  otherCores: number
}

/** The concurrency the worker can reach with these settings (what bare-send is given too). */
const inFlightFor = (o: DeliverOptions, fanout: number) =>
  Math.min(o.workerConcurrency, fanout * o.destinationConcurrency)

async function drainRun(
  o: DeliverOptions,
  kind: StoreKind,
  fanout: number,
  run: number,
  postgres: () => Promise<BenchPostgres>,
): Promise<DrainSample> {
  const sink = await startSink()
  const db = await freshDatabase(kind, postgres)
  const store: Store = openStore({ url: db.url, poolSize: 10 })
  const logger = createLogger({ level: 'warn' })
  const metrics = createMetrics()
  const registry = new SubscriberRegistry()
  let worker: Worker | undefined
  let destinations: DestinationSet | undefined
  const types = createTypeMapper({})
  try {
    await store.migrate()
    destinations = new DestinationSet({
      store,
      registry,
      types,
      logger,
      metrics,
      configured: Array.from({ length: fanout }, (_, i) =>
        destinationSchema.parse({
          id: `sink-${i + 1}`,
          url: `${sink.url}/d${i + 1}`,
          events: ['contact.*'],
          rateLimit: { concurrency: o.destinationConcurrency },
        }),
      ),
      egressAllow: ['127.0.0.1'],
      wake: () => worker?.wake(),
      reloadIntervalMs: 0,
    })
    await destinations.start()

    // Enqueue with no worker running: events and their deliveries, committed in batches.
    const enqueueStarted = performance.now()
    const events = contactEvents(o.events, `deliver-${run}-${kind}-${fanout}`)
    for (let i = 0; i < events.length; i += 512) {
      const batch = events.slice(i, i + 512)
      for (const event of batch) {
        event.deliveries = planDeliveries(
          {
            source: 'ghl',
            type: publishedType(event, types),
            event,
            body: JSON.parse(event.rawBody.toString()),
          },
          registry.list(),
          event.receivedAt,
        )
      }
      await store.insertEvents(batch)
    }
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000
    const backlog = await store.countBacklog()

    await quietOrWarn(`drain ${kind} fan-out ${fanout} run ${run}`, o.quietWaitSec)
    worker = new Worker({
      store,
      registry,
      logger,
      metrics,
      id: `bench-${process.pid}`,
      concurrency: o.workerConcurrency,
    })
    const pg = kind === 'postgres' ? await postgres() : undefined
    const window = cpuWindow()
    const cpuBefore = process.cpuUsage()
    const sinkBefore = cpuSeconds(sink.child.pid!) ?? 0
    const dbBefore = pg?.cpuSeconds() ?? 0
    const started = performance.now()
    worker.start()
    const deadline = Date.now() + 600_000
    while ((await store.countBacklog()) > 0) {
      if (Date.now() > deadline) throw new Error('the backlog did not drain within 10 minutes')
      await sleep(50)
    }
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const sinkCpu = (cpuSeconds(sink.child.pid!) ?? sinkBefore) - sinkBefore
    const dbCpu = (pg?.cpuSeconds() ?? 0) - dbBefore
    const w = window.stop()
    await worker.stop()
    const received = await sink.count()
    const perDelivery = (sec: number) => (sec / backlog) * 1e6
    return {
      kind: 'drain',
      store: kind,
      fanout,
      run,
      ok: received === backlog,
      error: received === backlog ? undefined : `the sink received ${received} of ${backlog}`,
      events: o.events,
      deliveries: backlog,
      received,
      enqueueSeconds,
      seconds,
      eventsPerSecond: o.events / seconds,
      deliveriesPerSecond: backlog / seconds,
      workerCpuUs: perDelivery((cpu.user + cpu.system) / 1e6),
      sinkCpuUs: perDelivery(sinkCpu),
      databaseCpuUs: pg ? perDelivery(dbCpu) : undefined,
      otherCores: w.otherCores,
      machine: w,
    }
  } finally {
    await worker?.stop()
    await destinations?.stop()
    await store.close()
    await db.drop()
    await sink.stop()
  }
}

async function bareRun(o: DeliverOptions, fanout: number, run: number): Promise<BareSample> {
  const sink = await startSink()
  const requests = o.events * fanout
  const inFlight = inFlightFor(o, fanout)
  const pool = new Pool(sink.url, { connections: inFlight, pipelining: 1 })
  // About the size of the envelope a destination sends for these events.
  const body = Buffer.from(
    JSON.stringify({ id: newId('evt'), data: createBodyGenerator('bare', Date.now()).body(0) }),
  )
  try {
    const send = () =>
      pool
        .request({
          method: 'POST',
          path: '/bare',
          headers: { 'content-type': 'application/json', 'webhook-id': newId('evt') },
          body,
        })
        .then((r) => r.body.dump())
    // Open the connections and warm the JIT up (the first thousand requests are much slower).
    for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: Math.min(1000, requests) }, send))
    await quietOrWarn(`bare-send fan-out ${fanout} run ${run}`, o.quietWaitSec)
    const window = cpuWindow()
    const cpuBefore = process.cpuUsage()
    const sinkBefore = cpuSeconds(sink.child.pid!) ?? 0
    const started = performance.now()
    let next = 0
    const lane = async () => {
      while (next < requests) {
        next++
        await send()
      }
    }
    await Promise.all(Array.from({ length: inFlight }, lane))
    const seconds = (performance.now() - started) / 1000
    const cpu = process.cpuUsage(cpuBefore)
    const sinkCpu = (cpuSeconds(sink.child.pid!) ?? sinkBefore) - sinkBefore
    const w = window.stop()
    return {
      kind: 'bare-send',
      fanout,
      run,
      requests,
      inFlight,
      seconds,
      requestsPerSecond: requests / seconds,
      clientCpuUs: (cpu.user + cpu.system) / requests,
      sinkCpuUs: (sinkCpu / requests) * 1e6,
      otherCores: w.otherCores,
    }
  } finally {
    await pool.close()
    await sink.stop()
  }
}

export interface DeliverSummary {
  target: string
  fanout: number
  runs: number
  deliveriesPerSecond: Spread
  eventsPerSecond?: Spread
  workerCpuUs: Spread
  sinkCpuUs: Spread
  databaseCpuUs?: Spread
  otherCoresMax: number
  failures: number
}

function summarize(o: DeliverOptions, drains: DrainSample[], bares: BareSample[]): DeliverSummary[] {
  const out: DeliverSummary[] = []
  for (const fanout of o.fanouts) {
    const b = bares.filter((s) => s.fanout === fanout)
    if (b.length)
      out.push({
        target: 'bare-send',
        fanout,
        runs: b.length,
        deliveriesPerSecond: spread(b.map((s) => s.requestsPerSecond)),
        workerCpuUs: spread(b.map((s) => s.clientCpuUs)),
        sinkCpuUs: spread(b.map((s) => s.sinkCpuUs)),
        otherCoresMax: Math.max(0, ...b.map((s) => s.otherCores)),
        failures: 0,
      })
    for (const store of o.stores) {
      const d = drains.filter((s) => s.fanout === fanout && s.store === store)
      if (!d.length) continue
      const ok = d.filter((s) => s.seconds > 0)
      out.push({
        target: `gateway-${store === 'postgres' ? 'pg' : 'sqlite'}`,
        fanout,
        runs: d.length,
        deliveriesPerSecond: spread(ok.map((s) => s.deliveriesPerSecond)),
        eventsPerSecond: spread(ok.map((s) => s.eventsPerSecond)),
        workerCpuUs: spread(ok.map((s) => s.workerCpuUs)),
        sinkCpuUs: spread(ok.map((s) => s.sinkCpuUs)),
        databaseCpuUs:
          store === 'postgres'
            ? spread(ok.map((s) => s.databaseCpuUs).filter((v): v is number => v !== undefined))
            : undefined,
        otherCoresMax: Math.max(0, ...d.map((s) => s.otherCores)),
        failures: d.filter((s) => !s.ok).length,
      })
    }
  }
  return out
}

function tables(o: DeliverOptions, summaries: DeliverSummary[]) {
  const head = [
    'target',
    'fan-out',
    'in flight',
    'deliveries/s',
    'events/s',
    'vs bare-send',
    'worker CPU µs/dlv',
    'sink µs/dlv',
    'db µs/dlv',
    'other cores',
  ]
  const rows = summaries.map((s) => {
    const bare = summaries.find((b) => b.target === 'bare-send' && b.fanout === s.fanout)
    return [
      s.target + (s.failures ? ` (${s.failures} failed)` : ''),
      String(s.fanout),
      String(inFlightFor(o, s.fanout)),
      fmtSpread(s.deliveriesPerSecond),
      s.eventsPerSecond ? fmtSpread(s.eventsPerSecond) : '–',
      bare && s.target !== 'bare-send'
        ? `${(s.deliveriesPerSecond.median / bare.deliveriesPerSecond.median).toFixed(2)}×`
        : '–',
      fmtSpread(s.workerCpuUs),
      fmtSpread(s.sinkCpuUs),
      s.databaseCpuUs ? fmtSpread(s.databaseCpuUs) : '–',
      s.otherCoresMax.toFixed(2) + (s.otherCoresMax >= BUSY_THRESHOLD ? ' !' : ''),
    ]
  })
  const table = [head, ...rows]
  return { text: formatTable(table), markdown: markdownTable(table) }
}

export async function runDeliver(o: DeliverOptions) {
  const startedAt = new Date()
  let pg: Promise<BenchPostgres> | undefined
  const postgres = () => {
    pg ??= startBenchPostgres()
    return pg
  }
  const stopPg = async () => (await pg?.catch(() => undefined))?.stop()
  const onSignal = () => void stopPg().finally(() => process.exit(130))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  console.log(
    `[deliver] ${o.events.toLocaleString('en-US')} events per run, fan-out ${o.fanouts.join(', ')}, ` +
      `${o.stores.join(', ')}, ${o.runs} run(s); worker concurrency ${o.workerConcurrency}, ` +
      `destination concurrency ${o.destinationConcurrency}`,
  )
  const drains: DrainSample[] = []
  const bares: BareSample[] = []
  let failed = false
  try {
    // One small unrecorded drain per store first: the first run in a process pays for the JIT.
    for (const store of o.stores) {
      await drainRun({ ...o, events: Math.min(o.events, 1000), quietWaitSec: 0 }, store, 1, 0, postgres)
    }
    for (let run = 1; run <= o.runs; run++) {
      for (const fanout of o.fanouts) {
        const b = await bareRun(o, fanout, run)
        bares.push(b)
        console.log(
          `  bare-send       fan-out ${fanout} run ${run}: ${Math.round(b.requestsPerSecond).toLocaleString('en-US')} req/s ` +
            `(${b.inFlight} in flight), client ${b.clientCpuUs.toFixed(0)} µs/req, sink ${b.sinkCpuUs.toFixed(0)} µs/req` +
            (b.otherCores >= BUSY_THRESHOLD ? `, other ${b.otherCores.toFixed(2)} cores [NOISY]` : ''),
        )
        for (const store of o.stores) {
          try {
            const d = await drainRun(o, store, fanout, run, postgres)
            drains.push(d)
            if (!d.ok) failed = true
            console.log(
              `  gateway-${store.padEnd(8)} fan-out ${fanout} run ${run}: ${d.deliveries.toLocaleString('en-US')} deliveries in ` +
                `${d.seconds.toFixed(2)} s = ${Math.round(d.deliveriesPerSecond).toLocaleString('en-US')}/s ` +
                `(${Math.round(d.eventsPerSecond).toLocaleString('en-US')} events/s; enqueue ${d.enqueueSeconds.toFixed(1)} s); ` +
                `CPU µs/delivery: worker ${d.workerCpuUs.toFixed(0)}, sink ${d.sinkCpuUs.toFixed(0)}` +
                (d.databaseCpuUs === undefined ? '' : `, db ${d.databaseCpuUs.toFixed(0)}`) +
                `; received ${d.received}; iowait ${d.machine.iowaitCores.toFixed(2)} cores` +
                (d.otherCores >= BUSY_THRESHOLD ? `; other ${d.otherCores.toFixed(2)} cores [NOISY]` : ''),
            )
          } catch (error) {
            failed = true
            console.error(
              `!!! drain ${store} fan-out ${fanout} run ${run} failed: ${(error as Error).message}`,
            )
          }
        }
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopPg()
  }
  const summaries = summarize(o, drains, bares)
  const t = tables(o, summaries)
  console.log(`\nDelivery throughput to a local sink (median of runs, min–max in brackets)\n${t.text}\n`)
  const report = {
    kind: 'deliver',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineFacts(),
    options: o,
    summaries,
    drains,
    bares,
    markdown: t.markdown,
  }
  if (o.save) {
    await mkdir(resultsDir, { recursive: true })
    const out = join(resultsDir, `deliver-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`[deliver] raw results: ${out}`)
  }
  return { ok: !failed, report }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  try {
    const { ok } = await runDeliver(parseDeliverArgs(process.argv.slice(2)))
    process.exitCode = ok ? 0 : 1
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
