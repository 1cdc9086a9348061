import { SUMMARY_COLUMNS } from '../event-columns.js'
import type { ScanBudget } from '../types.js'
import type { Row, SqlRunner } from './runner.js'
import { param, raw, type Sql, sql, where } from './sql.js'

/**
 * A newest-first scan for conditions no index answers — text inside raw bodies, a delivery status —
 * that never examines more than `budget.rows` events per request, however rare the match.
 *
 * Strategy (measured: bench/events-page.ts, docs/benchmarks.md "Event list at 1,000,000 events"):
 * the request walks down from its cursor in slices of `chunk` seq numbers, one statement per slice
 * (`seq < top AND seq >= top - chunk`: a range of the primary key, so a statement examines at most
 * `chunk` events whatever its conditions), until the page is full, the budget in events or time is
 * spent, or it passes the oldest event. Between slices it yields to the event loop: on SQLite a
 * statement runs on the event loop, so one slice is the longest a search can hold ingest back.
 * When the budget ends first, the page answers what it found, `nextCursor` below the last slice and
 * `searchedBackTo` (so a client can say "searched back to <time> — continue").
 *
 * Measured at 1M events (2 vCPUs): the raw-body test costs ~1.1 µs per event on both stores, so
 * the 100,000-event budget takes 109–116 ms (p95 ≤ 138 ms); the status probes 2–4 µs per event on
 * PostgreSQL, where the 150 ms limit ends the rarest (`discarded`, 0.1 %: 156 ms). One slice of
 * 2,000 holds SQLite's event loop 1.75 ms; with 5,000, PostgreSQL planned parallel workers per
 * slice (291 ms instead of 162 for `status=discarded`). A text found in every body: 1.0–2.4 ms.
 *
 * Rejected: an index or trigger for text search (FTS5, pg_trgm) — work on every ingested event for
 * a rarely used search; LIKE — `%` and `_` would be wildcards; one statement with `LIMIT` and no
 * lower bound — it scans the whole table when nothing matches.
 */
export const DEFAULT_SCAN_BUDGET: ScanBudget = { chunk: 2_000, rows: 100_000, ms: 150, fewDeliveries: 5_000 }

export interface ScanRequest {
  /** Indexed filters, usable in any statement. */
  filters: Sql[]
  /** What each examined event must satisfy. */
  match: Sql
  /** Continue below this seq (a cursor); from the newest event when undefined. */
  before: number | undefined
  /** Rows wanted: the page size plus one, to know whether more follow. */
  want: number
  budget: ScanBudget
}

export interface ScanResult {
  rows: Row[]
  /**
   * Where the next request continues (`seq < next`) when the budget ended the scan before `want`
   * rows were found; undefined when it passed the oldest event or found `want` rows.
   */
  stoppedAt: number | undefined
  /** The receive time of the oldest event examined, when `stoppedAt` is set (the driver's type). */
  searchedBackTo: unknown
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

export async function scanEvents(db: SqlRunner, request: ScanRequest): Promise<ScanResult> {
  const { budget } = request
  const started = performance.now()
  const [bounds] = await db.all<{ lowest: unknown; highest: unknown }>(
    sql`SELECT (SELECT min(seq) FROM events) AS lowest, (SELECT max(seq) FROM events) AS highest`,
  )
  const rows: Row[] = []
  if (bounds?.lowest == null || bounds.highest == null)
    return { rows, stoppedAt: undefined, searchedBackTo: null }
  const lowest = Number(bounds.lowest)
  let top = Math.min(request.before ?? Number.POSITIVE_INFINITY, Number(bounds.highest) + 1)
  let examined = 0
  while (top > lowest && rows.length < request.want) {
    if (examined >= budget.rows || performance.now() - started >= budget.ms) {
      const [oldest] = await db.all<{ received_at: unknown }>(
        sql`SELECT received_at FROM events WHERE seq >= ${param(top)} ORDER BY seq LIMIT 1`,
      )
      return { rows, stoppedAt: top, searchedBackTo: oldest?.received_at ?? null }
    }
    if (examined > 0) await yieldToEventLoop()
    const bottom = Math.max(lowest, top - Math.min(budget.chunk, budget.rows - examined))
    const slice = [
      ...request.filters,
      sql`e.seq < ${param(top)}`,
      sql`e.seq >= ${param(bottom)}`,
      sql`(${request.match})`,
    ]
    rows.push(
      ...(await db.all(
        sql`SELECT ${raw(SUMMARY_COLUMNS)} FROM events e ${where(slice)}
          ORDER BY e.seq DESC LIMIT ${param(request.want - rows.length)}`,
      )),
    )
    examined += top - bottom
    top = bottom
  }
  return { rows, stoppedAt: undefined, searchedBackTo: null }
}
