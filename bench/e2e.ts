/**
 * End-to-end latency: how long after GHL gets its 200 does the work start?
 *
 *   npx tsx bench/e2e.ts [--cases handler@1000,destination@1000,destination@500] [--seconds 10]
 *                        [--runs 3] [--targets gateway-sqlite,gateway-pg,floor]
 *
 * Signed webhooks go to a gateway process at a fixed open-loop rate (bench/lib/open-loop.ts). For
 * every acknowledged event we take the time the client received the 200 and compare it with
 *   - `handler`: when the library-mode handler started (bench/servers/handler-gateway.mjs records
 *     it; the clocks of the two processes are compared over IPC first), or
 *   - `destination`: when a destination (the CLI gateway, config file) delivered it to a sink in
 *     this process.
 * Baseline `floor`: the verify floor that answers 200 and then hands the event on in memory with
 * setImmediate (bench/servers/forward-floor.mjs) — the latency of "ack, then process" with nothing
 * durable in between. Cases × runs × targets are interleaved; medians and min–max over runs.
 */

import { mkdir, writeFile } from 'node:fs/promises'
import type { Agent } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { InvalidArgumentError, Option } from 'commander'
import {
  benchCommand,
  gatewayEnvOption,
  int,
  list,
  listOption,
  noSaveOption,
  oneOf,
  quietWaitOption,
} from './lib/args.js'
import { type BenchDatabase, freshDatabase, gatewayBuildProblem, startGatewayProcess } from './lib/gateway.js'
import { clockOffset, handlerCount, handlerStarts } from './lib/ipc.js'
import { type BenchKeys, ensureBenchKeys } from './lib/keys.js'
import { BUSY_THRESHOLD, type CpuWindowResult, cpuWindow, machineFacts, quietOrWarn } from './lib/machine.js'
import { describeOpenLoop, type OpenLoopResult, openLoopAgent, runOpenLoop } from './lib/open-loop.js'
import { resultsDir, serversDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { ensureRequestsFile, readSignedRequests, type SignedRequest } from './lib/requests-file.js'
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
import { startTimingSink, type TimingSink } from './lib/timing-sink.js'

const TARGETS = ['gateway-sqlite', 'gateway-pg', 'floor'] as const
type E2eTarget = (typeof TARGETS)[number]
type CaseKind = 'handler' | 'destination'
interface Case {
  kind: CaseKind
  rate: number
}

export interface E2eOptions {
  cases: Case[]
  targets: E2eTarget[]
  seconds: number
  warmup: number
  runs: number
  quietWaitSec: number
  gatewayEnv: Record<string, string>
  save: boolean
}

const DEFAULT_CASES = 'handler@1000,destination@1000,destination@500'

/** `handler@1000`: a case's kind and its rate in events per second. */
function parseCase(text: string): Case {
  const m = /^(handler|destination)@(\d+)$/.exec(text)
  if (!m) throw new InvalidArgumentError(`"${text}" is not kind@rate (e.g. handler@1000)`)
  return { kind: m[1] as CaseKind, rate: int(1, 20_000)(m[2]!) }
}

export function parseE2eArgs(argv: string[]): E2eOptions {
  const o = benchCommand('e2e.ts', 'End-to-end latency: how long after GHL gets its 200 does the work start?')
    .addOption(
      new Option('--cases <list>', 'kind@rate, comma-separated; kind is handler or destination')
        .argParser(list(parseCase))
        .default(list(parseCase)(DEFAULT_CASES), DEFAULT_CASES),
    )
    .addOption(listOption('--targets <list>', 'floor is the baseline', oneOf(TARGETS), [...TARGETS]))
    .option('--seconds <s>', 'measured seconds per run', int(1, 120), 10)
    .option('--warmup <s>', 'seconds at the same rate before measuring, same process', int(0, 60), 2)
    .option('--runs <n>', 'runs per case and target, interleaved', int(1, 20), 3)
    .addOption(quietWaitOption())
    .addOption(gatewayEnvOption())
    .addOption(noSaveOption('e2e'))
    .parse(argv, { from: 'user' })
    .opts()
  return {
    cases: o.cases,
    targets: o.targets,
    seconds: o.seconds,
    warmup: o.warmup,
    runs: o.runs,
    quietWaitSec: o.quietWait,
    gatewayEnv: o.gatewayEnv,
    save: o.save,
  }
}

/** One run of one case on one target. */
export interface E2eSample {
  kind: CaseKind
  rate: number
  target: E2eTarget
  run: number
  ok: boolean
  error?: string
  /** Client: scheduled send → 200 (open loop). */
  ack?: OpenLoopResult
  /** Acked 200 → handler start / destination received. */
  toWork?: Percentiles
  /** Acked in the measured window but never seen by the handler/sink within the wait. */
  missing?: number
  /** Handler/destination saw the event before the client had the 200 (the worker runs on commit). */
  beforeAck?: number
  clock?: { offsetMs: number; uncertaintyMs: number }
  serverCores?: number
  databaseCores?: number
  otherCores?: number
  machine?: CpuWindowResult
  busyBefore?: number
}

interface Ctx {
  o: E2eOptions
  keys: BenchKeys
  requests: SignedRequest[]
  webhookIds: string[]
  postgres(): Promise<BenchPostgres>
}

function stripSamples(s: E2eSample) {
  // The per-request arrays are large; the results file keeps the summaries.
  if (!s.ack) return s
  const { scheduledAt: _a, sentAt: _b, answeredAt: _c, status: _d, bodies: _e, ...ack } = s.ack
  return { ...s, ack }
}

async function measure(c: Case, target: E2eTarget, run: number, ctx: Ctx): Promise<E2eSample> {
  const { o } = ctx
  const label = `${c.kind}@${c.rate} ${target} run ${run}`
  const sample: E2eSample = { kind: c.kind, rate: c.rate, target, run, ok: false }
  sample.busyBefore = await quietOrWarn(label, o.quietWaitSec)
  const warmCount = Math.round(c.rate * o.warmup)
  const count = Math.round(c.rate * o.seconds)
  let sink: TimingSink | undefined
  let server: ServerProcess | undefined
  let closeServer: (() => Promise<void>) | undefined
  let db: BenchDatabase | undefined
  let agent: Agent | undefined
  try {
    if (c.kind === 'destination') sink = await startTimingSink()
    if (target === 'floor') {
      const port = await freePort()
      const s = startServer({
        command: process.execPath,
        args: [join(serversDir, 'forward-floor.mjs')],
        env: {
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          PORT: String(port),
          BENCH_ED25519_SPKI: ctx.keys.ed25519.publicSpkiB64,
          BENCH_MODE: c.kind === 'handler' ? 'handler' : 'forward',
          BENCH_DEST_URL: sink?.url ?? '',
        },
        port,
        ipc: true,
      })
      server = s
      closeServer = () => s.stop()
      await waitUntilReady(s, undefined, 30_000)
    } else {
      db = await freshDatabase(target === 'gateway-pg' ? 'postgres' : 'sqlite', ctx.postgres)
      const g = await startGatewayProcess({
        mode: c.kind === 'handler' ? 'handler' : 'cli',
        databaseUrl: db.url,
        keys: ctx.keys,
        config: sink ? { destinations: [{ id: 'sink', url: sink.url, events: ['*'] }] } : undefined,
        env: { BENCH_RECORD: '1', ...o.gatewayEnv },
      })
      server = g
      closeServer = () => g.close()
    }
    const child = server.child
    if (c.kind === 'handler') sample.clock = await clockOffset(child)
    const offset = sample.clock?.offsetMs ?? 0

    agent = openLoopAgent(256)
    const url = server.baseUrl + (target === 'floor' ? '/webhook' : '/webhooks/ghl')
    const req = (i: number) => {
      const r = ctx.requests[i]!
      return { body: r.body, headers: { 'content-type': 'application/json', 'x-ghl-signature': r.ed25519 } }
    }
    let warmAcked = 0
    if (warmCount > 0) {
      const warm = await runOpenLoop({ url, rate: c.rate, count: warmCount, agent, request: req })
      warmAcked = warm.ok
      if (warm.ok < warm.count) throw new Error(`warm-up: ${describeOpenLoop(warm)}`)
    }
    await sleep(200)
    const window = cpuWindow()
    const cpuBefore = cpuSeconds(server.pid) ?? 0
    const pg = target === 'gateway-pg' ? await ctx.postgres() : undefined
    const dbBefore = pg?.cpuSeconds() ?? 0
    const ack = await runOpenLoop({
      url,
      rate: c.rate,
      count,
      agent,
      request: (i) => req(warmCount + i),
      keepBodies: target !== 'floor',
    })
    const cpu = (cpuSeconds(server.pid) ?? cpuBefore) - cpuBefore
    const dbCpu = (pg?.cpuSeconds() ?? 0) - dbBefore
    const w = window.stop()
    sample.ack = ack
    sample.serverCores = cpu / w.wallSec
    sample.databaseCores = pg ? dbCpu / w.wallSec : undefined
    // The window includes us (the sender, the sink), the server and the database.
    sample.otherCores = w.otherCores
    sample.machine = w
    if (server.exited()) throw new Error('the server exited during the run')

    // Wait (bounded) until every acked event was handled / delivered.
    const expected = warmAcked + ack.ok
    const deadline = Date.now() + 60_000
    for (;;) {
      const seen = sink ? sink.times.size : await handlerCount(child)
      if (seen >= expected || Date.now() > deadline) break
      await sleep(100)
    }
    const seenAt = sink ? sink.times : (await handlerStarts(child)).starts
    const lat: number[] = []
    let missing = 0
    let beforeAck = 0
    for (let i = 0; i < count; i++) {
      if (ack.status[i]! < 200 || ack.status[i]! >= 300) continue
      const key = target === 'floor' ? ctx.webhookIds[warmCount + i]! : eventIdOf(ack.bodies[i]!)
      const at = key === undefined ? undefined : seenAt.get(key)
      if (at === undefined) {
        missing++
        continue
      }
      const ms = at - (sink ? 0 : offset) - ack.answeredAt[i]!
      if (ms < 0) beforeAck++
      lat.push(ms)
    }
    sample.toWork = percentiles(lat)
    sample.missing = missing
    sample.beforeAck = beforeAck
    sample.ok = ack.ok === count && missing === 0
    if (!sample.ok) sample.error = `${count - ack.ok} not acked, ${missing} acked but not seen`
    const t = sample.toWork
    console.log(
      `  ${label.padEnd(34)} ack ${describeOpenLoop(ack)}\n` +
        `  ${''.padEnd(34)} ack → ${c.kind} ms p50 ${t.p50.toFixed(2)} p90 ${t.p90.toFixed(2)} p99 ${t.p99.toFixed(2)} ` +
        `max ${t.max.toFixed(1)}; before ack ${beforeAck}, missing ${missing}; server ${sample.serverCores.toFixed(2)} cores` +
        (sample.databaseCores === undefined ? '' : ` + db ${sample.databaseCores.toFixed(2)}`) +
        `, other ${w.otherCores.toFixed(2)}${w.otherCores >= BUSY_THRESHOLD ? ' [NOISY]' : ''}` +
        (sample.clock
          ? `; clock offset ${sample.clock.offsetMs.toFixed(3)} ± ${sample.clock.uncertaintyMs.toFixed(3)} ms`
          : ''),
    )
  } catch (error) {
    sample.error = (error as Error).message
    console.error(`!!! ${label} failed: ${sample.error}`)
  } finally {
    agent?.destroy()
    await closeServer?.()
    await sink?.close()
    await db?.drop()
  }
  return sample
}

function eventIdOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { eventId?: string }).eventId
  } catch {
    return undefined
  }
}

export interface E2eSummary {
  kind: CaseKind
  rate: number
  target: E2eTarget
  runs: number
  okRuns: number
  ackP50: Spread
  ackP99: Spread
  p50: Spread
  p90: Spread
  p99: Spread
  max: Spread
  missing: number
  beforeAck: number
  lagP99: Spread
  senderCores: Spread
  serverCores: Spread
  databaseCores?: Spread
  otherCoresMax: number
}

function summarize(samples: E2eSample[]): E2eSummary[] {
  const groups = new Map<string, E2eSample[]>()
  for (const s of samples) {
    const key = `${s.kind}@${s.rate}@${s.target}`
    groups.set(key, [...(groups.get(key) ?? []), s])
  }
  const out: E2eSummary[] = []
  for (const group of groups.values()) {
    const done = group.filter((s) => s.toWork && s.ack)
    const first = group[0]!
    const pick = (f: (s: E2eSample) => number | undefined) =>
      spread(done.map(f).filter((v): v is number => v !== undefined))
    out.push({
      kind: first.kind,
      rate: first.rate,
      target: first.target,
      runs: group.length,
      okRuns: group.filter((s) => s.ok).length,
      ackP50: pick((s) => s.ack!.latencyMs.p50),
      ackP99: pick((s) => s.ack!.latencyMs.p99),
      p50: pick((s) => s.toWork!.p50),
      p90: pick((s) => s.toWork!.p90),
      p99: pick((s) => s.toWork!.p99),
      max: pick((s) => s.toWork!.max),
      missing: group.reduce((n, s) => n + (s.missing ?? 0) + (s.ack ? s.ack.count - s.ack.ok : 0), 0),
      beforeAck: group.reduce((n, s) => n + (s.beforeAck ?? 0), 0),
      lagP99: pick((s) => s.ack!.lagMs.p99),
      senderCores: pick((s) => s.ack!.senderCores),
      serverCores: pick((s) => s.serverCores),
      databaseCores: first.target === 'gateway-pg' ? pick((s) => s.databaseCores) : undefined,
      otherCoresMax: Math.max(0, ...group.map((s) => s.otherCores ?? 0)),
    })
  }
  return out
}

export function e2eTables(summaries: E2eSummary[]): { text: string; markdown: string } {
  const texts: string[] = []
  const mds: string[] = []
  const cases = [...new Set(summaries.map((s) => `${s.kind}@${s.rate}`))]
  for (const c of cases) {
    const rows = summaries.filter((s) => `${s.kind}@${s.rate}` === c)
    const kind = rows[0]!.kind
    const head = [
      'target',
      'ack p50 ms',
      'ack p99 ms',
      `ack→${kind} p50 ms`,
      'p90 ms',
      'p99 ms',
      'max ms',
      'lost',
      'before ack',
      'sender lag p99 ms',
      'server cores',
      'other cores',
    ]
    const table = [
      head,
      ...rows.map((s) => [
        s.target + (s.okRuns < s.runs ? ` (${s.okRuns}/${s.runs} ok)` : ''),
        fmtSpread(s.ackP50),
        fmtSpread(s.ackP99),
        fmtSpread(s.p50),
        fmtSpread(s.p90),
        fmtSpread(s.p99),
        fmtSpread(s.max),
        String(s.missing),
        String(s.beforeAck),
        fmtSpread(s.lagP99),
        fmtSpread(s.serverCores) + (s.databaseCores ? ` +${fmtSpread(s.databaseCores)} db` : ''),
        s.otherCoresMax.toFixed(2) + (s.otherCoresMax >= BUSY_THRESHOLD ? ' !' : ''),
      ]),
    ]
    const floor = rows.find((s) => s.target === 'floor')
    const ratios = rows
      .filter((s) => s.target !== 'floor' && floor)
      .map(
        (s) =>
          `  ${s.target} / floor: ack→${kind} p50 ${(s.p50.median / floor!.p50.median).toFixed(1)}×, ` +
          `p99 ${(s.p99.median / floor!.p99.median).toFixed(1)}×; ack p99 ${(s.ackP99.median / floor!.ackP99.median).toFixed(1)}×`,
      )
    const title = `${kind} at ${rows[0]!.rate}/s (median of runs, min–max in brackets)`
    texts.push(
      `${title}\n${formatTable(table)}${ratios.length ? `\nRatios of medians:\n${ratios.join('\n')}` : ''}`,
    )
    mds.push(
      `${title}\n\n${markdownTable(table)}${ratios.length ? `\n\n${ratios.map((r) => r.trim()).join('  \n')}` : ''}`,
    )
  }
  return { text: texts.join('\n\n'), markdown: mds.join('\n\n') }
}

export async function runE2e(o: E2eOptions) {
  const problem = gatewayBuildProblem()
  const targets = o.targets.filter((t) => t === 'floor' || !problem)
  if (problem && targets.length < o.targets.length) console.log(`[e2e] skipping gateway targets: ${problem}`)
  const startedAt = new Date()
  const keys = ensureBenchKeys()
  const file = await ensureRequestsFile({ count: 200_000, seed: '1', rsaCount: 50_000, keys })
  const needed = Math.max(...o.cases.map((c) => Math.round(c.rate * (o.warmup + o.seconds))))
  const requests = await readSignedRequests(file.path, 0, needed)
  const webhookIds = requests.map(
    (r) => (JSON.parse(r.body.toString('utf8')) as { webhookId: string }).webhookId,
  )

  let pg: Promise<BenchPostgres> | undefined
  const postgres = () => {
    pg ??= startBenchPostgres()
    return pg
  }
  const stopPg = async () => (await pg?.catch(() => undefined))?.stop()
  const onSignal = () => {
    console.error('[e2e] interrupted: stopping PostgreSQL')
    void stopPg().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  console.log(
    `[e2e] ${o.cases.map((c) => `${c.kind}@${c.rate}/s`).join(', ')} × ${targets.join(', ')}: ` +
      `${o.runs} run(s) × (${o.warmup} s warm-up + ${o.seconds} s), open loop`,
  )
  const samples: E2eSample[] = []
  const ctx: Ctx = { o, keys, requests, webhookIds, postgres }
  try {
    for (const c of o.cases) {
      for (let run = 1; run <= o.runs; run++) {
        for (const target of targets) samples.push(await measure(c, target, run, ctx))
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopPg()
  }
  const summaries = summarize(samples)
  const tables = e2eTables(summaries)
  console.log(`\n${tables.text}\n`)
  const report = {
    kind: 'e2e',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineFacts(),
    options: o,
    summaries,
    samples: samples.map(stripSamples),
    markdown: tables.markdown,
  }
  if (o.save) {
    await mkdir(resultsDir, { recursive: true })
    const out = join(resultsDir, `e2e-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`[e2e] raw results: ${out}`)
  }
  return { ok: samples.every((s) => s.ok), report }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  try {
    const { ok } = await runE2e(parseE2eArgs(process.argv.slice(2)))
    process.exitCode = ok ? 0 : 1
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
