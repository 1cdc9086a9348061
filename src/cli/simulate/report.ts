import type { Style } from '../ui/style.js'
import type { SimulationOptions, SimulationTally } from './engine.js'

/** The end-of-run report of `simulate`: JSON as printed by `--json`, and its text form. */
export interface SimulationReport {
  target: string
  /** Events whose body does not name them went to `<target>/<EventName>`. */
  perEventUrls: boolean
  policy: string
  timeScale: number
  /** Distinct events generated (each with its own webhookId). */
  events: number
  /** Extra deliveries of already-sent events (same bytes, same webhookId). */
  duplicatesSent: number
  /** HTTP requests made: first deliveries, duplicate deliveries and retries. */
  attempts: number
  /** Events that got a 2xx on at least one delivery. */
  acknowledged: number
  /** Events that never got a 2xx (dropped as GHL would, or unfinished). */
  notAcknowledged: number
  /** What the target's JSON answers said (`accepted`, `duplicate`, error codes), per attempt. */
  answered: Record<string, number>
  /** Deliveries that needed at least one retry, and the retry attempts made. */
  retried: { deliveries: number; attempts: number }
  /** Deliveries GHL would have given up on: answer not retried by the policy, or retries exhausted. */
  dropped: { total: number; notRetried: number; retriesExhausted: number }
  /** Deliveries still unsent, in flight or waiting for a retry when the run stopped. */
  unfinished: number
  byStatus: Record<string, number>
  /** Why attempts got no answer (error codes), when some did not. */
  noAnswer: Record<string, number>
  latencyMs: { p50: number; p90: number; p99: number; max: number }
  /** How far first deliveries left behind their schedule (target or --concurrency too slow). */
  lagMs: { p99: number; max: number }
  rate: { target: number; achieved: number }
  durationMs: number
  /** `completed`, `deadline` (the hard deadline stopped it) or `interrupted` (Ctrl-C). */
  ended: 'completed' | 'deadline' | 'interrupted'
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function summarise(tally: SimulationTally, options: SimulationOptions): SimulationReport {
  const latencies = Float64Array.from(tally.latencies).sort()
  const lags = Float64Array.from(tally.lags).sort()
  const asArray = (a: Float64Array) => Array.from(a)
  const lat = asArray(latencies)
  const lag = asArray(lags)
  const window = (tally.lastSentAt ?? 0) - (tally.firstSentAt ?? 0)
  const sentSlots = tally.events + tally.duplicatesSent
  return {
    target: options.target.href,
    perEventUrls: options.perEventUrls,
    policy: options.policy.name,
    timeScale: options.timeScale,
    events: tally.events,
    duplicatesSent: tally.duplicatesSent,
    attempts: tally.attempts,
    acknowledged: tally.acknowledged,
    notAcknowledged: tally.events - tally.acknowledged,
    answered: Object.fromEntries([...tally.answered].sort((a, b) => b[1] - a[1])),
    retried: { deliveries: tally.deliveriesRetried, attempts: tally.retryAttempts },
    dropped: {
      total: tally.droppedNotRetried + tally.droppedExhausted,
      notRetried: tally.droppedNotRetried,
      retriesExhausted: tally.droppedExhausted,
    },
    unfinished: tally.unfinished,
    byStatus: Object.fromEntries([...tally.byStatus].sort(([a], [b]) => a.localeCompare(b))),
    noAnswer: Object.fromEntries(tally.noAnswer),
    latencyMs: {
      p50: round(percentile(lat, 50)),
      p90: round(percentile(lat, 90)),
      p99: round(percentile(lat, 99)),
      max: round(lat.at(-1) ?? 0),
    },
    lagMs: { p99: round(percentile(lag, 99)), max: round(lag.at(-1) ?? 0) },
    rate: {
      target: options.rate,
      achieved: sentSlots > 1 && window > 0 ? round(((sentSlots - 1) * 1000) / window) : sentSlots,
    },
    durationMs: Math.round(tally.endedAt - tally.startedAt),
    ended: tally.interrupted ? 'interrupted' : tally.deadlineHit ? 'deadline' : 'completed',
  }
}

/** True when every event was acknowledged and the run was not cut short. */
export function isClean(report: SimulationReport): boolean {
  return report.ended === 'completed' && report.notAcknowledged === 0
}

const count = (n: number) => n.toLocaleString('en-US')
const pct = (part: number, whole: number) => (whole ? `${round((part * 100) / whole)} %` : '—')

export function formatReport(report: SimulationReport, style: Style): string {
  const lines: string[] = []
  const row = (label: string, value: string) => lines.push(`${label.padEnd(14)}${value}`)
  const ok = isClean(report)
  lines.push(
    style.bold(`simulate → ${report.target}${report.perEventUrls ? '[/<EventName>]' : ''}`) +
      `  policy ${report.policy}${report.timeScale !== 1 ? `, retry delays ÷${count(report.timeScale)}` : ''}`,
  )
  const dups = report.duplicatesSent ? ` + ${count(report.duplicatesSent)} duplicate deliveries` : ''
  row(
    'events',
    `${count(report.events)}${dups} sent at ${count(report.rate.achieved)}/s (target ${count(report.rate.target)}/s) in ${round(report.durationMs / 1000)} s`,
  )
  const ackText = `${count(report.acknowledged)} of ${count(report.events)} events (${pct(report.acknowledged, report.events)})`
  row('acknowledged', ok ? style.green(ackText) : style.red(ackText))
  if (report.duplicatesSent || report.answered.duplicate) {
    row(
      'duplicates',
      `${count(report.duplicatesSent)} re-sent, ${count(report.answered.duplicate ?? 0)} answered "duplicate"`,
    )
  }
  const answers = Object.entries(report.answered)
    .map(([k, v]) => `${k} ${count(v)}`)
    .join(', ')
  if (answers) row('answers', answers)
  row(
    'attempts',
    `${count(report.attempts)} (${count(report.retried.attempts)} retries for ${count(report.retried.deliveries)} deliveries)`,
  )
  const dropped = report.dropped.total
    ? style.yellow(
        `${count(report.dropped.total)} (${count(report.dropped.notRetried)} not retried by ${report.policy}, ${count(report.dropped.retriesExhausted)} out of retries)`,
      )
    : '0'
  row('dropped', `${dropped}  ${style.dim('what GHL would give up on')}`)
  if (report.unfinished)
    row('unfinished', style.yellow(`${count(report.unfinished)} deliveries (${report.ended})`))
  row(
    'status',
    Object.entries(report.byStatus)
      .map(([k, v]) => `${k} ×${count(v)}`)
      .join(', ') || '—',
  )
  if (Object.keys(report.noAnswer).length) {
    row(
      'no answer',
      Object.entries(report.noAnswer)
        .map(([k, v]) => `${k} ×${count(v)}`)
        .join(', '),
    )
  }
  const l = report.latencyMs
  row('latency ms', `p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}`)
  if (report.lagMs.max > 1000) {
    row(
      'behind',
      style.yellow(
        `first deliveries left up to ${round(report.lagMs.max / 1000)} s late: the target or --concurrency could not keep up`,
      ),
    )
  }
  return lines.join('\n')
}
