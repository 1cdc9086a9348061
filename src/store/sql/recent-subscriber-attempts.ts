import type { AttemptOutcome } from '../delivery-states.js'
import type { RecentAttempt } from '../types.js'
import type { Row, SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * A subscriber's most recent attempts, newest first, for the destination page's success rate,
 * latency and recent attempts — among the gateway's last `scan` attempts only.
 *
 * Strategy: attempts carry no subscriber, and an index on one (attempts or deliveries by
 * subscriber) would be written by every attempt or every delivery — work on the hot paths for a
 * page an operator opens now and then. So the read is bounded instead: the last `scan` attempts by
 * their primary key (`seq`, a backward index range), each joined to its delivery by the unique
 * index on `deliveries.id`, kept when the delivery is the subscriber's, at most `limit`. The cost
 * is `scan` index steps and lookups whatever the table's size; a subscriber with no attempt in
 * that window shows none (the page says over how many of the gateway's attempts it looked).
 * Measured at 981,132 attempts, scan 5,000 (bench/destination-attempts.ts, docs/benchmarks.md), on
 * a busy 2-core machine: p50 35–62 ms on SQLite (plan: SCAN attempts backwards by rowid, SEARCH
 * deliveries by its id index), 45–70 ms on PostgreSQL; 8 ms on SQLite at 100,000 for the same window.
 */
export async function recentSubscriberAttempts(
  db: SqlRunner,
  subscriberId: string,
  limit: number,
  scan: number,
): Promise<RecentAttempt[]> {
  const rows = await db.all(
    sql`SELECT a.id, a.delivery_id, d.event_id, a.number, a.cycle, a.started_at, a.duration_ms,
        a.outcome, ${db.dialect.jsonNumber(sql`a.response`, 'status')} AS status, a.error_class,
        a.error_message
      FROM (SELECT seq, id, delivery_id, number, cycle, started_at, duration_ms, outcome, response,
              error_class, error_message
            FROM attempts ORDER BY seq DESC LIMIT ${param(scan)}) a
      JOIN deliveries d ON d.id = a.delivery_id
      WHERE d.subscriber_id = ${param(subscriberId)}
      ORDER BY a.seq DESC LIMIT ${param(limit)}`,
  )
  return rows.map((row: Row) => ({
    id: row.id as string,
    deliveryId: row.delivery_id as string,
    eventId: row.event_id as string,
    number: Number(row.number),
    cycle: Number(row.cycle),
    startedAt: db.dialect.decode.time(row.started_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome as AttemptOutcome,
    status: row.status === null ? null : Number(row.status),
    errorClass: row.error_class as string | null,
    errorMessage: row.error_message as string | null,
  }))
}
