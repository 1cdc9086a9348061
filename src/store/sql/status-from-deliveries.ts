import type { EventDeliveryStatus } from '../event-delivery-status.js'
import { stateCondition } from './delivery-states-sql.js'
import { groupOf, noEarlierStatus, statesOf } from './event-status-sql.js'
import type { SqlRunner } from './runner.js'
import { param, raw, type Sql, sql } from './sql.js'

/**
 * `status=failed` and `status=pending` read from their deliveries instead of examining events one
 * by one, when there are few of them — the usual case: dead deliveries are the dead-letter queue
 * (partial index `deliveries_dead`), open ones the backlog (`deliveries_due`). Up to `few`
 * (ScanBudget.fewDeliveries, 5,000), the listing takes the events they point at (`event_seq`):
 * complete, however far back, no budget. More than that means such events are common, and the
 * bounded scan (scan-events.ts) finds a page of them within a few slices.
 *
 * Measured at 1M events with 4,650 dead: 12.5 ms on SQLite, 8.5 ms on PostgreSQL, whose nested
 * loop costs ~10 µs per delivery (9,755 open deliveries took 88 ms, hence at most 5,000); scanning
 * events instead, at that density: 11 / 39 ms.
 */

/**
 * The whole status condition as "the event is one of these deliveries' events" (plus, for
 * `pending`, "and none of its deliveries is dead"), or undefined to scan instead.
 */
export async function eventsOfFewDeliveries(
  db: SqlRunner,
  status: EventDeliveryStatus,
  few: number,
): Promise<Sql | undefined> {
  if (status !== 'failed' && status !== 'pending') return undefined
  const states = raw(stateCondition('d.state', statesOf([groupOf(status)])))
  const [counted] = await db.all<{ n: number }>(
    sql`SELECT ${db.dialect.int(raw('count(*)'))} AS n FROM (
      SELECT 1 FROM deliveries d WHERE ${states} LIMIT ${param(few + 1)}) deliveries`,
  )
  if (counted!.n > few) return undefined
  const earlier = noEarlierStatus(status)
  const ofThem = sql`e.seq IN (SELECT d.event_seq FROM deliveries d WHERE ${states})`
  return earlier ? sql`${ofThem} AND ${raw(earlier)}` : ofThem
}
