/**
 * Delivery benchmark: how fast do HTTP destinations drain, and how long from ack to the destination?
 *
 *   npx tsx bench/deliver.ts                                  # both parts, both stores, defaults
 *   npx tsx bench/deliver.ts --stores sqlite --fanout 1,5 --events 5000 --skip-latency
 *   npx tsx bench/deliver.ts --skip-drain --rate 500 --seconds 10
 *
 * Part 1, drain: N events (with their deliveries to `fanout` destinations, planned by the same
 * matcher ingest uses) are committed with no worker running; then the worker starts and we time
 * until the backlog is empty. Prints events/s and deliveries/s.
 *
 * Part 2, latency: a whole gateway (createGateway, one destination) receives signed GHL webhooks
 * over HTTP at `--rate` per second; for each event, the time from the client seeing the 200 to the
 * destination receiving the request. Prints p50/p99/max.
 *
 * The sink is `node:http` in a child process answering 200 at once (so it does not share the
 * gateway's event loop); it records receive times with `performance.timeOrigin + now()`, which is
 * comparable across processes on one machine. Everything runs on 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash, randomUUID, sign } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { createTypeMapper } from '../src/catalog/index.js'
import { loadConfig } from '../src/config/index.js'
import { Worker } from '../src/deliver/worker.js'
import { DestinationSet } from '../src/dispatch/destinations.js'
import { destinationSchema } from '../src/dispatch/destinations-schema.js'
import { SubscriberRegistry } from '../src/dispatch/registry.js'
import { planDeliveries } from '../src/dispatch/subscribers.js'
import { createGateway } from '../src/gateway.js'
import { newId } from '../src/ids.js'
import { createLogger } from '../src/observe/logger.js'
import { createMetrics } from '../src/observe/metrics.js'
import { classifyGhl } from '../src/receive/classify-event.js'
import { openStore } from '../src/store/open-store.js'
import type { NewEvent, Store } from '../src/store/types.js'
import { ensureBenchKeys } from './lib/keys.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { freePort } from './lib/server-process.js'

type StoreKind = 'sqlite' | 'postgres'

const { values: args } = parseArgs({
  options: {
    stores: { type: 'string', default: 'sqlite,postgres' },
    fanout: { type: 'string', default: '1,5' },
    events: { type: 'string', default: '5000' },
    'worker-concurrency': { type: 'string', default: '32' },
    'destination-concurrency': { type: 'string', default: '10' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    'skip-drain': { type: 'boolean', default: false },
    'skip-latency': { type: 'boolean', default: false },
  },
})
const stores = args.stores.split(',') as StoreKind[]
const fanouts = args.fanout.split(',').map(Number)
const eventCount = Number(args.events)
const workerConcurrency = Number(args['worker-concurrency'])
const destinationConcurrency = Number(args['destination-concurrency'])

// --- the sink: a child process answering 200 at once, recording receive times by webhook-id ---
const SINK = `
import { createServer } from 'node:http'
const OK = Buffer.from('{"ok":true}')
const times = new Map()
let count = 0
const server = createServer((req, res) => {
  if (req.method === 'GET') {
    const body = JSON.stringify({ count, times: Object.fromEntries(times) })
    res.writeHead(200, { 'content-type': 'application/json' }).end(body)
    return
  }
  req.on('data', () => {})
  req.on('end', () => {
    count++
    if (process.env.RECORD) times.set(req.headers['webhook-id'], performance.timeOrigin + performance.now())
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length })
    res.end(OK)
  })
})
server.keepAliveTimeout = 65000
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\\n'))
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)) })
`

async function startSink(
  record: boolean,
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--input-type=module', '-e', SINK], {
    env: { PORT: String(port), ...(record ? { RECORD: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`sink exited with ${code}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

async function sinkState(url: string): Promise<{ count: number; times: Record<string, number> }> {
  const response = await fetch(url)
  return (await response.json()) as { count: number; times: Record<string, number> }
}

let pg: BenchPostgres | undefined
async function database(kind: StoreKind): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-bench-deliver-'))
    return {
      url: `sqlite:${join(dir, 'gw.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  pg ??= await startBenchPostgres()
  const name = `deliver_${randomUUID().slice(0, 8)}`
  const url = await pg.createDatabase(name)
  return { url, drop: () => pg!.dropDatabase(name) }
}

/** A ContactCreate body and its event row, classified like ingest does. */
function contactEvent(now: number): NewEvent {
  const body = {
    type: 'ContactCreate',
    locationId: 've9EPM428h8vShlRW1KT',
    id: `c_${randomUUID().slice(0, 12)}`,
    email: 'jane@example.com',
    firstName: 'Jane',
    tags: ['vip'],
    timestamp: new Date(now).toISOString(),
    webhookId: randomUUID(),
  }
  const raw = Buffer.from(JSON.stringify(body))
  const { fields, webhookId } = classifyGhl(body, undefined, [])
  return {
    id: newId('evt', now),
    source: 'ghl',
    dedupeKey: webhookId!,
    webhookId,
    receivedAt: now,
    contentType: 'application/json',
    headers: { 'content-type': 'application/json' },
    rawBody: raw,
    contentHash: `sha256:${createHash('sha256').update(raw).digest('hex')}`,
    verification: { scheme: 'ghl-ed25519', verified: true, keyId: 'bench' },
    flags: [],
    eventHint: null,
    ...fields,
    deliveries: [],
  }
}

async function drainRun(kind: StoreKind, fanout: number) {
  const sink = await startSink(false)
  const db = await database(kind)
  const store: Store = openStore({ url: db.url, poolSize: 10 })
  await store.migrate()
  const logger = createLogger({ level: 'warn' })
  const metrics = createMetrics()
  const registry = new SubscriberRegistry()
  const types = createTypeMapper({})
  let worker: Worker | undefined
  const destinations = new DestinationSet({
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
        rateLimit: { concurrency: destinationConcurrency },
      }),
    ),
    egressAllow: ['127.0.0.1'],
    wake: () => worker?.wake(),
    reloadIntervalMs: 0,
  })
  await destinations.start()

  // Enqueue with no worker running: events and their deliveries, committed in batches.
  const enqueueStarted = performance.now()
  for (let done = 0; done < eventCount; ) {
    const batch: NewEvent[] = []
    for (; batch.length < 512 && done < eventCount; done++) {
      const event = contactEvent(Date.now())
      event.deliveries = planDeliveries(
        { source: 'ghl', type: event.eventType, event, body: JSON.parse(event.rawBody.toString()) },
        registry.list(),
        event.receivedAt,
      )
      batch.push(event)
    }
    await store.insertEvents(batch)
  }
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000
  const backlog = await store.countBacklog()

  worker = new Worker({
    store,
    registry,
    logger,
    metrics,
    id: `bench-${process.pid}`,
    concurrency: workerConcurrency,
  })
  const started = performance.now()
  worker.start()
  while ((await store.countBacklog()) > 0) await new Promise((resolve) => setTimeout(resolve, 20))
  const seconds = (performance.now() - started) / 1000
  await worker.stop()
  const received = (await sinkState(sink.url)).count
  await destinations.stop()
  await store.close()
  await db.drop()
  await sink.stop()
  return {
    kind,
    fanout,
    events: eventCount,
    deliveries: backlog,
    received,
    enqueueSeconds,
    seconds,
    eventsPerSecond: eventCount / seconds,
    deliveriesPerSecond: backlog / seconds,
  }
}

async function latencyRun(kind: StoreKind, rate: number, durationSeconds: number) {
  const sink = await startSink(true)
  const db = await database(kind)
  const keys = ensureBenchKeys()
  const dir = mkdtempSync(join(tmpdir(), 'ghl-bench-latency-'))
  writeFileSync(
    join(dir, 'ghl-gateway.config.json'),
    JSON.stringify({
      destinations: [
        {
          id: 'sink',
          url: `${sink.url}/hook`,
          events: ['*'],
          rateLimit: { concurrency: destinationConcurrency },
        },
      ],
    }),
  )
  const config = loadConfig({
    env: {
      DATABASE_URL: db.url,
      HOST: '127.0.0.1',
      PORT: '0',
      GHL_ED25519_PUBLIC_KEYS: keys.ed25519.publicSpkiB64,
      EGRESS_ALLOW: '127.0.0.1',
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: String(workerConcurrency),
    },
    cwd: dir,
  })
  const gateway = createGateway({ config, logger: createLogger({ level: 'warn' }) })
  const { url } = await gateway.listen()
  const client = new Pool(url, { connections: 64, pipelining: 1 })

  const acks = new Map<string, number>()
  let failures = 0
  const post = async () => {
    const body = JSON.stringify({
      type: 'ContactCreate',
      locationId: 've9EPM428h8vShlRW1KT',
      id: `c_${randomUUID().slice(0, 12)}`,
      email: 'jane@example.com',
      timestamp: new Date().toISOString(),
      webhookId: randomUUID(),
    })
    const signature = sign(null, Buffer.from(body), keys.ed25519.privateKey).toString('base64')
    try {
      const response = await client.request({
        method: 'POST',
        path: '/webhooks/ghl',
        headers: { 'content-type': 'application/json', 'x-ghl-signature': signature },
        body,
      })
      const at = performance.timeOrigin + performance.now()
      const answer = (await response.body.json()) as { eventId?: string }
      if (response.statusCode === 200 && answer.eventId) acks.set(answer.eventId, at)
      else failures++
    } catch {
      failures++
    }
  }

  const pending: Promise<void>[] = []
  const started = performance.now()
  let sent = 0
  const total = Math.round(rate * durationSeconds)
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate))
    for (; sent < due; sent++) pending.push(post())
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  await Promise.all(pending)
  const sendSeconds = (performance.now() - started) / 1000
  const deadline = Date.now() + 60_000
  let state = await sinkState(sink.url)
  while (state.count < acks.size && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    state = await sinkState(sink.url)
  }
  const latencies = [...acks]
    .map(([id, ackedAt]) => (state.times[id] === undefined ? undefined : state.times[id]! - ackedAt))
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
  await client.close()
  await gateway.close()
  await db.drop()
  await sink.stop()
  rmSync(dir, { recursive: true, force: true })
  return {
    kind,
    rate,
    sent: total,
    acked: acks.size,
    failures,
    delivered: latencies.length,
    achievedRate: total / sendSeconds,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: latencies.at(-1)!,
    /** The destination got it before the client had read the 200 (the worker is woken by the commit). */
    beforeAck: latencies.filter((ms) => ms < 0).length,
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits })
console.log(
  `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; worker concurrency ${workerConcurrency}, ` +
    `destination concurrency ${destinationConcurrency}`,
)
try {
  if (!args['skip-drain']) {
    console.log(
      `\nDrain: ${fmt(eventCount)} events enqueued with no worker running, then timed until the backlog is empty`,
    )
    console.log('store     fanout  deliveries  seconds  events/s  deliveries/s  (received by sink)')
    for (const kind of stores) {
      for (const fanout of fanouts) {
        const r = await drainRun(kind, fanout)
        console.log(
          `${r.kind.padEnd(9)} ${String(r.fanout).padStart(6)}  ${fmt(r.deliveries).padStart(10)}  ${r.seconds
            .toFixed(2)
            .padStart(
              7,
            )}  ${fmt(r.eventsPerSecond).padStart(8)}  ${fmt(r.deliveriesPerSecond).padStart(12)}  (${fmt(r.received)})`,
        )
      }
    }
  }
  if (!args['skip-latency']) {
    const rate = Number(args.rate)
    const seconds = Number(args.seconds)
    console.log(
      `\nLatency: signed webhooks over HTTP at ${rate}/s for ${seconds} s, fan-out 1; ack (client) → sink`,
    )
    console.log('store     sent   acked  delivered  rate/s   p50 ms  p90 ms  p99 ms  max ms  before-ack')
    for (const kind of stores) {
      const r = await latencyRun(kind, rate, seconds)
      console.log(
        `${r.kind.padEnd(9)} ${String(r.sent).padStart(5)}  ${String(r.acked).padStart(6)}  ${String(r.delivered).padStart(9)}  ${r.achievedRate
          .toFixed(0)
          .padStart(6)}  ${r.p50.toFixed(1).padStart(6)}  ${r.p90.toFixed(1).padStart(6)}  ${r.p99
          .toFixed(1)
          .padStart(6)}  ${r.max.toFixed(1).padStart(6)}  ${r.beforeAck}`,
      )
    }
  }
} finally {
  await pg?.stop()
}
