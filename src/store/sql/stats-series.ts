import type { StatsRange, StatsSeries } from '../delivery-store.js'
import { OPEN_STATES_SQL } from './delivery-states-sql.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/** One grouped count of the statement below: `series` names what was counted. */
export interface SeriesRow {
  series: string
  /** The bucket (-1: before the range); for `closed:*`, the bucket its cycle started in. */
  a: number
  /** For `closed:*`, the bucket it finished in; -1 otherwise. */
  b: number
  n: number
}

/**
 * The console's charts over time, in one statement of grouped counts (at most a few hundred rows
 * come back) folded into arrays here. Each part reads an index range that starts at the range's
 * start, so the work grows with the traffic in the window, never with the tables:
 * - received: `events_received_at`, covering on both stores;
 * - delivered / failed: attempts by outcome, `attempts_started` (plus the row for `outcome`);
 * - backlog and DLQ size at the end of each bucket are not stored as history; they follow from each
 *   delivery's current cycle: open from `cycle_started_at` until `completed_at` (now, if still
 *   open), and in the DLQ from `completed_at` on while its state is `dead`. The deliveries finished
 *   since the start come from `deliveries_completed` (migration 0007: partial, covering); the open
 *   ones from `deliveries_due`, and the DLQ's total from `deliveries_dead`, as /health counts them.
 *   What this cannot tell: a replayed delivery's earlier cycles, and the time a discarded one spent
 *   in the DLQ before it was purged.
 * Measured at 1M events, 1M deliveries and 1M attempts spread over 7 days (bench/series.ts, 2 busy
 * cores): see docs/benchmarks.md ("Console charts").
 */
export async function statsSeries(db: SqlRunner, range: StatsRange): Promise<StatsSeries> {
  const { bucketOf, time, int } = db.dialect
  const origin = param(range.start)
  const width = param(range.bucketMs)
  const start = param(time(range.start))
  const bucket = (column: string) => bucketOf(raw(column), origin, width)
  const count = int(raw('count(*)'))
  const rows = await db.all<SeriesRow>(sql`
    SELECT 'received' AS series, ${bucket('received_at')} AS a, -1 AS b, ${count} AS n
      FROM events WHERE received_at >= ${start} GROUP BY 2
    UNION ALL
    SELECT 'attempt:' || outcome, ${bucket('started_at')}, -1, ${count}
      FROM attempts WHERE started_at >= ${start} GROUP BY 1, 2
    UNION ALL
    SELECT 'open', CASE WHEN cycle_started_at < ${start} THEN -1 ELSE ${bucket('cycle_started_at')} END,
      -1, ${count}
      FROM deliveries WHERE state IN ${raw(OPEN_STATES_SQL)} GROUP BY 2
    UNION ALL
    SELECT 'closed:' || state,
      CASE WHEN cycle_started_at < ${start} THEN -1 ELSE ${bucket('cycle_started_at')} END,
      ${bucket('completed_at')}, ${count}
      FROM deliveries WHERE completed_at >= ${start} GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'dead', -1, -1, ${count} FROM deliveries WHERE state = 'dead'`)
  return foldSeries(range, rows)
}

/**
 * The grouped counts as one number per bucket. Backlog: a delivery open from bucket `a` (clamped
 * to 0) up to bucket `b` counts at the end of buckets a … b-1 (a difference array, summed).
 * DLQ: the dead deliveries that died before the range, then each bucket's new dead ones added.
 */
export function foldSeries(range: StatsRange, rows: readonly SeriesRow[]): StatsSeries {
  const size = range.buckets
  const zeros = () => new Array<number>(size).fill(0)
  const [received, delivered, failed, backlogStep, deadStep] = [zeros(), zeros(), zeros(), zeros(), zeros()]
  const inRange = (i: number) => i >= 0 && i < size
  const add = (into: number[], i: number, n: number) => {
    if (inRange(i)) into[i]! += n
  }
  let deadTotal = 0
  let deadSinceStart = 0
  for (const { series, a, b, n: count } of rows) {
    const n = Number(count)
    const from = Math.max(0, Number(a))
    const to = Number(b)
    if (series === 'received') add(received, from, n)
    else if (series === 'attempt:succeeded') add(delivered, from, n)
    else if (series === 'attempt:retry' || series === 'attempt:dead') add(failed, from, n)
    else if (series === 'open') add(backlogStep, from, n)
    else if (series === 'dead') deadTotal = n
    else if (series.startsWith('closed:')) {
      if (from < to) {
        add(backlogStep, from, n)
        add(backlogStep, to, -n)
      }
      if (series === 'closed:dead') {
        deadSinceStart += n
        add(deadStep, to, n)
      }
    }
  }
  const running = (steps: number[], first: number) => {
    let sum = first
    return steps.map((step) => {
      sum += step
      return sum
    })
  }
  return {
    ...range,
    received,
    delivered,
    failed,
    backlog: running(backlogStep, 0),
    dead: running(deadStep, deadTotal - deadSinceStart),
  }
}
