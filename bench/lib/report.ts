import type { ProbeResult } from './probe.js'
import type { TargetName } from './targets.js'
import type { WrkResult } from './wrk.js'

/** One measured run of one target. */
export interface Sample {
  target: TargetName
  run: number
  ok: boolean
  error?: string
  probe?: ProbeResult
  /** A valid probe sent after the load, only when the run had errors: shows what they look like. */
  afterProbe?: ProbeResult
  warmup?: Pick<WrkResult, 'requests' | 'issued' | 'requestsPerSec' | 'wrapped' | 'errors'>
  result?: WrkResult
  startIndex?: number
  serverCpuSec?: number
  /** CPU seconds of the PostgreSQL processes during the measured run (gateway-pg only). */
  databaseCpuSec?: number
  peakRssBytes?: number
  logBytes?: number
  /** Cores other processes kept busy just before the run (the quiet-wait reading). */
  busyCoresBefore?: number
  /** Cores used by processes other than wrk, the server and its database during the run. */
  otherCores?: number
}

export interface TargetSummary {
  target: TargetName
  runs: number
  okRuns: number
  rps: { median: number; min: number; max: number }
  p50Ms: number
  p99Ms: number
  /** Worst p99 over the runs. */
  p99MaxMs: number
  /** Non-2xx responses (wrk counts status ≥ 400) summed over runs. */
  non2xx: number
  socketErrors: number
  /** Server CPU time per completed request, median over runs (µs). */
  serverCpuUsPerReq?: number
  /** PostgreSQL CPU time per completed request, median over runs (µs; gateway-pg only). */
  databaseCpuUsPerReq?: number
  /** Cores used by wrk during the load phase, median. */
  wrkCores?: number
  peakRssMb?: number
  repeatedBodies: boolean
  /** Worst `otherCores` over the runs: above ~0.2 the machine was not quiet. */
  otherCoresMax?: number
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function summarize(target: TargetName, samples: Sample[]): TargetSummary | undefined {
  const mine = samples.filter((s) => s.target === target)
  const ok = mine.filter((s) => s.ok && s.result)
  if (ok.length === 0) return undefined
  const results = ok.map((s) => s.result!)
  const rps = results.map((r) => r.requestsPerSec)
  const cpu = ok
    .filter((s) => s.serverCpuSec !== undefined)
    .map((s) => (s.serverCpuSec! / s.result!.requests) * 1e6)
  const db = ok
    .filter((s) => s.databaseCpuSec !== undefined)
    .map((s) => (s.databaseCpuSec! / s.result!.requests) * 1e6)
  const rss = ok.map((s) => s.peakRssBytes).filter((v): v is number => v !== undefined)
  return {
    target,
    runs: mine.length,
    okRuns: ok.length,
    rps: { median: median(rps), min: Math.min(...rps), max: Math.max(...rps) },
    p50Ms: median(results.map((r) => r.latencyUs.p50)) / 1000,
    p99Ms: median(results.map((r) => r.latencyUs.p99)) / 1000,
    p99MaxMs: Math.max(...results.map((r) => r.latencyUs.p99)) / 1000,
    non2xx: results.reduce((n, r) => n + r.errors.status, 0),
    socketErrors: results.reduce(
      (n, r) => n + r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout,
      0,
    ),
    serverCpuUsPerReq: cpu.length ? median(cpu) : undefined,
    databaseCpuUsPerReq: db.length ? median(db) : undefined,
    wrkCores: median(results.map((r) => r.wrkCpuSec / (r.durationUs / 1e6))),
    peakRssMb: rss.length ? Math.max(...rss) / 1024 / 1024 : undefined,
    repeatedBodies: results.some((r) => r.wrapped > 0),
    otherCoresMax: ok.some((s) => s.otherCores !== undefined)
      ? Math.max(...ok.map((s) => s.otherCores ?? 0))
      : undefined,
  }
}

export interface Ratio {
  name: string
  numerator: TargetName
  denominator: TargetName
  /** Goal for the ratio of medians, if this ratio is a release criterion. */
  goal?: number
  value?: number
  meetsGoal?: boolean
}

const RATIOS: Omit<Ratio, 'name'>[] = [
  { numerator: 'gateway-sqlite', denominator: 'floor', goal: 0.85 },
  { numerator: 'gateway-sqlite', denominator: 'guide', goal: 4 },
  { numerator: 'gateway-sqlite', denominator: 'floor-sodium' },
  { numerator: 'floor-sodium', denominator: 'floor' },
  { numerator: 'gateway-sqlite', denominator: 'durable-floor' },
  { numerator: 'durable-floor', denominator: 'floor' },
  { numerator: 'store-floor', denominator: 'durable-floor' },
  { numerator: 'gateway-sqlite', denominator: 'store-floor' },
  { numerator: 'gateway-pg', denominator: 'floor' },
  { numerator: 'gateway-pg', denominator: 'guide' },
  { numerator: 'gateway-pg', denominator: 'gateway-sqlite' },
  { numerator: 'bare', denominator: 'floor' },
  { numerator: 'floor', denominator: 'guide' },
  { numerator: 'bare', denominator: 'guide' },
]

export function ratios(summaries: Map<TargetName, TargetSummary>): Ratio[] {
  const out: Ratio[] = []
  for (const r of RATIOS) {
    const a = summaries.get(r.numerator)
    const b = summaries.get(r.denominator)
    if (!a || !b) continue
    const value = a.rps.median / b.rps.median
    out.push({
      ...r,
      name: `${r.numerator} / ${r.denominator}`,
      value,
      meetsGoal: r.goal === undefined ? undefined : value >= r.goal,
    })
  }
  return out
}

const int = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0))

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  return rows
    .map((r, i) => {
      const line = r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join('  ')
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line
    })
    .join('\n')
}

export function formatReport(summaries: TargetSummary[], computed: Ratio[]): string {
  const rows = [
    [
      'target',
      'req/s median',
      '(min–max)',
      'p50 ms',
      'p99 ms',
      'errors',
      'srv CPU µs/req',
      'wrk cores',
      'other cores',
      'peak RSS MB',
    ],
    ...summaries.map((s) => [
      s.target + (s.okRuns < s.runs ? ` (${s.okRuns}/${s.runs} runs ok)` : ''),
      int(s.rps.median),
      `(${int(s.rps.min)}–${int(s.rps.max)})`,
      ms(s.p50Ms),
      ms(s.p99Ms),
      s.non2xx + s.socketErrors === 0 ? '0' : `${s.non2xx} non-2xx, ${s.socketErrors} socket`,
      (s.serverCpuUsPerReq === undefined ? '–' : s.serverCpuUsPerReq.toFixed(0)) +
        (s.databaseCpuUsPerReq === undefined ? '' : ` +${s.databaseCpuUsPerReq.toFixed(0)} db`),
      s.wrkCores === undefined ? '–' : s.wrkCores.toFixed(2),
      s.otherCoresMax === undefined ? '–' : s.otherCoresMax.toFixed(2) + (s.otherCoresMax >= 0.2 ? ' !' : ''),
      s.peakRssMb === undefined ? '–' : s.peakRssMb.toFixed(0),
    ]),
  ]
  const lines = [table(rows), '']
  const noisy = summaries.filter((s) => (s.otherCoresMax ?? 0) >= 0.2)
  if (noisy.length > 0) {
    lines.push(
      `! Other processes used ≥ 0.2 cores during runs of ${noisy.map((s) => s.target).join(', ')}: ` +
        'those numbers are low and noisy; rerun on a quiet machine.',
      '',
    )
  }
  if (computed.length > 0) {
    lines.push('Ratios of median req/s:')
    for (const r of computed) {
      const goal = r.goal === undefined ? '' : `  (goal ≥ ${r.goal}: ${r.meetsGoal ? 'met' : 'NOT MET'})`
      lines.push(`  ${r.name.padEnd(34)} ${r.value!.toFixed(2)}×${goal}`)
    }
  }
  const bare = summaries.find((s) => s.target === 'bare')
  const floor = summaries.find((s) => s.target === 'floor')
  if (bare && floor) {
    const wall = (1 / floor.rps.median - 1 / bare.rps.median) * 1e6
    const cpu =
      bare.serverCpuUsPerReq !== undefined && floor.serverCpuUsPerReq !== undefined
        ? `, server CPU ${(floor.serverCpuUsPerReq - bare.serverCpuUsPerReq).toFixed(0)} µs/req`
        : ''
    lines.push('', `Ed25519 verify cost (floor − bare): ${wall.toFixed(0)} µs/req of throughput${cpu}`)
  }
  return lines.join('\n')
}
