/**
 * Ingest latency at half load: p50/p99 of the gateway at a fixed open-loop rate of half its
 * measured maximum, next to the verify floor at the same rate.
 *
 *   npx tsx bench/ingest-latency.ts                       # measures the maxima first (wrk, short)
 *   npx tsx bench/ingest-latency.ts --max gateway-sqlite=9000,gateway-pg=4000
 *   npx tsx bench/ingest-latency.ts --max-from bench/results/ingest-<timestamp>.json
 *
 * wrk (bench/ingest.ts) measures throughput with a closed loop: 50 connections each wait for their
 * answer, so when the server stalls, wrk stops sending and the stall is hidden (coordinated
 * omission). Here requests go out on a fixed schedule (bench/lib/open-loop.ts) and latency counts
 * from the scheduled send, so a 50 ms group-commit or GC pause shows up in every request that
 * should have been sent during it. Half the maximum is a busy but sustainable load: the question
 * is how smooth the gateway is there, not how fast.
 */

import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import type { Agent } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { numberOption } from '../src/cli/options.js'
import { parseIngestArgs, runIngest } from './ingest.js'
import {
  benchCommand,
  gatewayEnvOption,
  int,
  listOption,
  noSaveOption,
  oneOf,
  quietWaitOption,
} from './lib/args.js'
import { type BenchKeys, ensureBenchKeys } from './lib/keys.js'
import { BUSY_THRESHOLD, type CpuWindowResult, cpuWindow, machineFacts, quietOrWarn } from './lib/machine.js'
import { describeOpenLoop, type OpenLoopResult, openLoopAgent, runOpenLoop } from './lib/open-loop.js'
import { resultsDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { probe } from './lib/probe.js'
import { ensureRequestsFile, readSignedRequests, type SignedRequest } from './lib/requests-file.js'
import { cpuSeconds, freePort, startServer, waitUntilReady } from './lib/server-process.js'
import { fmtSpread, formatTable, markdownTable, type Spread, sleep, spread } from './lib/stats.js'
import { createTargets, type Target } from './lib/targets.js'
import { wrkVersion } from './lib/wrk.js'

const GATEWAYS = ['gateway-sqlite', 'gateway-pg'] as const
type Gateway = (typeof GATEWAYS)[number]
type LatencyTarget = Gateway | 'floor'

export interface IngestLatencyOptions {
  gateways: Gateway[]
  max: Partial<Record<Gateway, number>>
  maxFrom?: string
  fraction: number
  seconds: number
  warmup: number
  runs: number
  maxRuns: number
  quietWaitSec: number
  gatewayEnv: Record<string, string>
  save: boolean
}

/** `gateway-sqlite=9000,gateway-pg=4000`: measured maxima, so this run need not measure them. */
function parseMaxima(text: string): Partial<Record<Gateway, number>> {
  const max: Partial<Record<Gateway, number>> = {}
  for (const pair of text.split(',')) {
    const [name, rate] = pair.split('=')
    max[oneOf(GATEWAYS)(name ?? '')] = int(10, 1_000_000)(rate ?? '')
  }
  return max
}

export function parseIngestLatencyArgs(argv: string[]): IngestLatencyOptions {
  const o = benchCommand(
    'ingest-latency.ts',
    'Ingest latency at half load: p50/p99 at a fixed open-loop rate.',
  )
    .addOption(listOption('--gateways <list>', 'gateways to measure', oneOf(GATEWAYS), [...GATEWAYS]))
    .option('--max <list>', 'gateway=req/s pairs: skip measuring the maxima', parseMaxima)
    .option('--max-from <file>', 'take the maxima (median req/s) from a bench/results/ingest-*.json')
    .option(
      '--fraction <f>',
      'load as a fraction of the maximum',
      numberOption(0, 1, { exclusiveMin: true }),
      0.5,
    )
    .option('--seconds <s>', 'measured seconds per open-loop run', int(1, 120), 10)
    .option('--warmup <s>', 'warm-up seconds at the same rate, same server', int(0, 60), 2)
    .option('--runs <n>', 'open-loop runs per target, interleaved gateway, floor, …', int(1, 20), 3)
    .option('--max-runs <n>', 'wrk runs (5 s each) for the maxima when measured here', int(1, 20), 3)
    .addOption(quietWaitOption())
    .addOption(gatewayEnvOption())
    .addOption(noSaveOption('ingest-latency'))
    .addHelpText('after', '\nNeeds wrk only to measure the maxima (not with --max / --max-from).')
    .parse(argv, { from: 'user' })
    .opts()
  return {
    gateways: o.gateways,
    max: o.max ?? {},
    maxFrom: o.maxFrom,
    fraction: o.fraction,
    seconds: o.seconds,
    warmup: o.warmup,
    runs: o.runs,
    maxRuns: o.maxRuns,
    quietWaitSec: o.quietWait,
    gatewayEnv: o.gatewayEnv,
    save: o.save,
  }
}

interface LatencySample {
  target: LatencyTarget
  /** Which gateway's half-load rate this run used. */
  for: Gateway
  rate: number
  run: number
  ok: boolean
  error?: string
  result?: Omit<OpenLoopResult, 'scheduledAt' | 'sentAt' | 'answeredAt' | 'status' | 'bodies'>
  serverCores?: number
  databaseCores?: number
  otherCores?: number
  machine?: CpuWindowResult
}

interface Ctx {
  o: IngestLatencyOptions
  keys: BenchKeys
  requests: SignedRequest[]
  postgres(): Promise<BenchPostgres>
}

async function measure(target: Target, forGateway: Gateway, rate: number, run: number, ctx: Ctx) {
  const { o } = ctx
  const label = `${target.name} at ${rate}/s run ${run}`
  const sample: LatencySample = {
    target: target.name as LatencyTarget,
    for: forGateway,
    rate,
    run,
    ok: false,
  }
  await quietOrWarn(label, o.quietWaitSec)
  const port = await freePort()
  const prepared = await target.prepare({
    keys: ctx.keys,
    port,
    run,
    postgres: ctx.postgres,
    gatewayEnv: o.gatewayEnv,
  })
  const server = startServer({ ...prepared, port })
  let agent: Agent | undefined
  try {
    await waitUntilReady(server, target.readyPath, 30_000)
    const p = await probe(server.baseUrl, target, ctx.keys)
    if (!p.ok) throw new Error(`probe failed: ${p.problems.join('; ')}`)
    agent = openLoopAgent(512)
    const url = server.baseUrl + target.path
    const warmCount = Math.round(rate * o.warmup)
    const request = (i: number) => {
      const r = ctx.requests[i]!
      return { body: r.body, headers: { 'content-type': 'application/json', 'x-ghl-signature': r.ed25519 } }
    }
    if (warmCount > 0) await runOpenLoop({ url, rate, count: warmCount, agent, request })
    await sleep(200)
    const window = cpuWindow()
    const cpuBefore = cpuSeconds(server.pid) ?? 0
    const dbBefore = prepared.databaseCpuSeconds?.() ?? 0
    const result = await runOpenLoop({
      url,
      rate,
      count: Math.round(rate * o.seconds),
      agent,
      request: (i) => request(warmCount + i),
    })
    const cpu = (cpuSeconds(server.pid) ?? cpuBefore) - cpuBefore
    const dbCpu = (prepared.databaseCpuSeconds?.() ?? 0) - dbBefore
    const w = window.stop()
    if (server.exited()) throw new Error('the server exited during the run')
    const { scheduledAt: _a, sentAt: _b, answeredAt: _c, status: _d, bodies: _e, ...summary } = result
    sample.result = summary
    sample.serverCores = cpu / w.wallSec
    sample.databaseCores = prepared.databaseCpuSeconds ? dbCpu / w.wallSec : undefined
    sample.otherCores = w.otherCores
    sample.machine = w
    sample.ok = result.ok === result.count
    if (!sample.ok) sample.error = `${result.count - result.ok} requests without a 2xx`
    console.log(
      `  ${label.padEnd(32)} ${describeOpenLoop(result)}; server ${sample.serverCores.toFixed(2)} cores` +
        (sample.databaseCores === undefined ? '' : ` + db ${sample.databaseCores.toFixed(2)}`) +
        `, other ${w.otherCores.toFixed(2)}${w.otherCores >= BUSY_THRESHOLD ? ' [NOISY]' : ''}`,
    )
  } catch (error) {
    sample.error = (error as Error).message
    console.error(`!!! ${label} failed: ${sample.error}`)
  } finally {
    agent?.destroy()
    await server.stop()
    await prepared.cleanup()
  }
  return sample
}

interface LatencySummary {
  target: LatencyTarget
  for: Gateway
  rate: number
  runs: number
  okRuns: number
  p50: Spread
  p90: Spread
  p99: Spread
  p999: Spread
  max: Spread
  serviceP99: Spread
  lagP99: Spread
  errors: number
  senderCores: Spread
  serverCores: Spread
  databaseCores?: Spread
  otherCoresMax: number
}

function summarize(samples: LatencySample[]): LatencySummary[] {
  const groups = new Map<string, LatencySample[]>()
  for (const s of samples)
    groups.set(`${s.for}/${s.target}`, [...(groups.get(`${s.for}/${s.target}`) ?? []), s])
  return [...groups.values()].map((group) => {
    const done = group.filter((s) => s.result)
    const pick = (f: (s: LatencySample) => number | undefined) =>
      spread(done.map(f).filter((v): v is number => v !== undefined))
    const first = group[0]!
    return {
      target: first.target,
      for: first.for,
      rate: first.rate,
      runs: group.length,
      okRuns: group.filter((s) => s.ok).length,
      p50: pick((s) => s.result!.latencyMs.p50),
      p90: pick((s) => s.result!.latencyMs.p90),
      p99: pick((s) => s.result!.latencyMs.p99),
      p999: pick((s) => s.result!.latencyMs.p999),
      max: pick((s) => s.result!.latencyMs.max),
      serviceP99: pick((s) => s.result!.serviceMs.p99),
      lagP99: pick((s) => s.result!.lagMs.p99),
      errors: done.reduce((n, s) => n + s.result!.count - s.result!.ok, 0),
      senderCores: pick((s) => s.result!.senderCores),
      serverCores: pick((s) => s.serverCores),
      databaseCores: first.target === 'gateway-pg' ? pick((s) => s.databaseCores) : undefined,
      otherCoresMax: Math.max(0, ...group.map((s) => s.otherCores ?? 0)),
    }
  })
}

function tables(summaries: LatencySummary[], maxes: Partial<Record<Gateway, number>>) {
  const head = [
    'target',
    'rate/s',
    'p50 ms',
    'p90 ms',
    'p99 ms',
    'p99.9 ms',
    'max ms',
    'non-2xx',
    'sender lag p99 ms',
    'server cores',
    'other cores',
  ]
  const rows = summaries.map((s) => [
    s.target + (s.okRuns < s.runs ? ` (${s.okRuns}/${s.runs} ok)` : ''),
    s.rate.toLocaleString('en-US'),
    fmtSpread(s.p50),
    fmtSpread(s.p90),
    fmtSpread(s.p99),
    fmtSpread(s.p999),
    fmtSpread(s.max),
    String(s.errors),
    fmtSpread(s.lagP99),
    fmtSpread(s.serverCores) + (s.databaseCores ? ` +${fmtSpread(s.databaseCores)} db` : ''),
    s.otherCoresMax.toFixed(2) + (s.otherCoresMax >= BUSY_THRESHOLD ? ' !' : ''),
  ])
  const ratios: string[] = []
  for (const g of GATEWAYS) {
    const gw = summaries.find((s) => s.target === g && s.for === g)
    const floor = summaries.find((s) => s.target === 'floor' && s.for === g)
    if (!gw || !floor) continue
    ratios.push(
      `${g} (max ${maxes[g]?.toLocaleString('en-US')} req/s) at ${gw.rate}/s vs floor at the same rate: ` +
        `p50 ${(gw.p50.median / floor.p50.median).toFixed(1)}×, p99 ${(gw.p99.median / floor.p99.median).toFixed(1)}×`,
    )
  }
  const table = [head, ...rows]
  return {
    text: `${formatTable(table)}\nRatios of medians:\n${ratios.map((r) => `  ${r}`).join('\n')}`,
    markdown: `${markdownTable(table)}\n\n${ratios.join('  \n')}`,
  }
}

function maxesFromFile(path: string): Partial<Record<Gateway, number>> {
  const report = JSON.parse(readFileSync(path, 'utf8')) as {
    summaries?: { target: string; rps: { median: number } }[]
  }
  const out: Partial<Record<Gateway, number>> = {}
  for (const s of report.summaries ?? []) {
    if (GATEWAYS.includes(s.target as Gateway)) out[s.target as Gateway] = s.rps.median
  }
  return out
}

export async function runIngestLatency(o: IngestLatencyOptions) {
  const startedAt = new Date()
  const maxes: Partial<Record<Gateway, number>> = { ...(o.maxFrom ? maxesFromFile(o.maxFrom) : {}), ...o.max }
  const missing = o.gateways.filter((g) => maxes[g] === undefined)
  let maxSource = o.maxFrom ? `from ${o.maxFrom}` : o.gateways.length > missing.length ? '--max' : ''
  if (missing.length > 0) {
    if (!wrkVersion())
      throw new Error('wrk is not installed (needed to measure the maxima): apt-get install -y wrk')
    console.log(
      `[ingest-latency] measuring the maxima of ${missing.join(', ')} with wrk (closed loop, saturation)`,
    )
    const report = await runIngest(
      parseIngestArgs([
        '--targets',
        missing.join(','),
        '--duration',
        '5',
        '--runs',
        String(o.maxRuns),
        '--quiet-wait',
        String(o.quietWaitSec),
        '--no-save',
        ...Object.entries(o.gatewayEnv).flatMap(([k, v]) => ['--gateway-env', `${k}=${v}`]),
      ]),
    )
    for (const s of report.summaries) maxes[s.target as Gateway] = s.rps.median
    maxSource = `${maxSource ? `${maxSource} and ` : ''}measured here (wrk -c50, ${o.maxRuns} × 5 s, median)`
  }
  const keys = ensureBenchKeys()
  const file = await ensureRequestsFile({ count: 200_000, seed: '1', rsaCount: 50_000, keys })
  const rates = new Map(o.gateways.map((g) => [g, Math.round((maxes[g] ?? 0) * o.fraction)]))
  const needed = Math.max(...rates.values()) * (o.seconds + o.warmup)
  if (needed > file.count)
    throw new Error(`the runs need ${needed} requests; the requests file has ${file.count}`)
  const requests = await readSignedRequests(file.path, 0, needed)

  let pg: Promise<BenchPostgres> | undefined
  const postgres = () => {
    pg ??= startBenchPostgres()
    return pg
  }
  const stopPg = async () => (await pg?.catch(() => undefined))?.stop()
  const onSignal = () => void stopPg().finally(() => process.exit(130))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const targets = createTargets({ path: '/webhooks/ghl' })
  const ctx: Ctx = { o, keys, requests, postgres }
  const samples: LatencySample[] = []
  try {
    for (const g of o.gateways) {
      const rate = rates.get(g)!
      console.log(
        `[ingest-latency] ${g}: max ${Math.round(maxes[g]!).toLocaleString('en-US')} req/s → open loop at ${rate}/s ` +
          `(${o.fraction} ×), next to the floor at the same rate; ${o.runs} run(s) × (${o.warmup} s + ${o.seconds} s)`,
      )
      for (let run = 1; run <= o.runs; run++) {
        samples.push(await measure(targets[g], g, rate, run, ctx))
        samples.push(await measure(targets.floor, g, rate, run, ctx))
      }
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await stopPg()
  }
  const summaries = summarize(samples)
  const t = tables(summaries, maxes)
  console.log(
    `\nOpen-loop latency at ${o.fraction} × the gateway's maximum (maxima ${maxSource})\n${t.text}\n`,
  )
  const report = {
    kind: 'ingest-latency',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineFacts(),
    options: o,
    maxes,
    maxSource,
    summaries,
    samples,
    markdown: t.markdown,
  }
  if (o.save) {
    await mkdir(resultsDir, { recursive: true })
    const out = join(resultsDir, `ingest-latency-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`[ingest-latency] raw results: ${out}`)
  }
  return { ok: samples.every((s) => s.ok), report }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  try {
    const { ok } = await runIngestLatency(parseIngestLatencyArgs(process.argv.slice(2)))
    process.exitCode = ok ? 0 : 1
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
