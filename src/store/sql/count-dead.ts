import { deliveryConditions } from '../delivery-rows.js'
import type { DlqFilter } from '../dlq-job-store.js'
import type { SqlRunner } from './runner.js'
import { param, sql, where } from './sql.js'

/**
 * Dead deliveries matching, counted up to `cap` (+1 row to know there are more): bounded work
 * whatever the size of the dead-letter queue. The inner select walks the partial index
 * deliveries_dead (state = 'dead', literal) and joins events only for rows that match; without
 * other filters a count of 10,000 reads 10,001 index entries. Measured at 1M dead deliveries:
 * docs/benchmarks.md ("DLQ count").
 */
export async function countDead(
  db: SqlRunner,
  filter: DlqFilter,
  cap: number,
): Promise<{ count: number; capped: boolean }> {
  const conditions = deliveryConditions({ ...filter, states: ['dead'] }, db.dialect)
  const [row] = await db.all<{ n: unknown }>(
    sql`SELECT ${db.dialect.int(sql`count(*)`)} AS n FROM (
      SELECT 1 FROM deliveries d JOIN events e ON e.id = d.event_id ${where(conditions)} LIMIT ${param(cap + 1)}) m`,
  )
  const n = Number(row?.n ?? 0)
  return { count: Math.min(n, cap), capped: n > cap }
}
