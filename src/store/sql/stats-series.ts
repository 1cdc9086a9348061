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
 * The console's charts over time, as grouped counts (a few rows per bucket) folded into arrays
 * here. One statement per bucket, each reading only the rows of its bucket's time slice through an
 * index (on SQLite a statement holds the event loop, ingest included, so none may read a week), and
 * one for the deliveries open now and the DLQ's size:
 * - received: `events_received_at`, covering on both stores;
 * - delivered / failed: attempts by outcome, `attempts_started (started_at, outcome)`, covering
 *   (migration 0007);
 * - backlog and DLQ size at the end of each bucket are not stored as history; they follow from each
 *   delivery's current cycle: open from `cycle_started_at` until `completed_at` (or now), and in the
 *   DLQ from `completed_at` on while its state is `dead`. So a bucket's slice counts the deliveries
 *   that finished in it, by the bucket their cycle started in (`deliveries_completed`, partial and
 *   covering, migration 0007); the open ones come from `deliveries_due`, the DLQ's total from
 *   `deliveries_dead`, as /health counts them. Nothing a later bucket needs is read twice: the
 *   work is one pass over the range's rows, whatever its length.
 *   What this cannot tell: a replayed delivery's earlier cycles, the time a purged one spent in the
 *   DLQ; and a delivery finishing while the statements run may be missed once (±1).
 * The range must end after now (the route's do): a delivery finishing after its end would be missed.
 * Measured at 1M events, deliveries and attempts over 7 days (bench/series.ts, 2 busy cores): see
 * docs/benchmarks.md ("Console charts at 1,000,000 events").
 */
export async function statsSeries(db: SqlRunner, range: StatsRange): Promise<StatsSeries> {
  const { bucketOf, time, int } = db.dialect
  const count = int(raw('count(*)'))
  const start = param(time(range.start))
  const startBucket = (column: string) =>
    sql`CASE WHEN ${raw(column)} < ${start} THEN -1 ELSE ${bucketOf(raw(column), param(range.start), param(range.bucketMs))} END`
  const rows: SeriesRow[] = []
  for (let i = 0; i < range.buckets; i++) {
    const bucket = param(i)
    const from = param(time(range.start + i * range.bucketMs))
    const to = param(time(range.start + (i + 1) * range.bucketMs))
    rows.push(
      ...(await db.all<SeriesRow>(sql`
        SELECT 'received' AS series, ${int(sql`${bucket}`)} AS a, -1 AS b, ${count} AS n
          FROM events WHERE received_at >= ${from} AND received_at < ${to}
        UNION ALL
        SELECT 'attempt:' || outcome, ${int(sql`${bucket}`)}, -1, ${count}
          FROM attempts WHERE started_at >= ${from} AND started_at < ${to} GROUP BY outcome
        UNION ALL
        SELECT 'closed:' || state, ${startBucket('cycle_started_at')}, ${int(sql`${bucket}`)}, ${count}
          FROM deliveries WHERE completed_at >= ${from} AND completed_at < ${to} GROUP BY 1, 2`)),
    )
  }
  rows.push(
    ...(await db.all<SeriesRow>(sql`
      SELECT 'open' AS series, ${startBucket('cycle_started_at')} AS a, -1 AS b, ${count} AS n
        FROM deliveries WHERE state IN ${raw(OPEN_STATES_SQL)} GROUP BY 2
      UNION ALL
      SELECT 'dead', -1, -1, ${count} FROM deliveries WHERE state = 'dead'`)),
  )
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
