import { DESTINATION_COLUMNS, rowToDestination } from '../destination-rows.js'
import type { StoredDestination } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * Records a probe request on one destination (its primary key: one row, no scan). Each process
 * compares the value with the last one it acted on — inequality, not order, so a process whose
 * clock is behind still gets its request seen. `updated_at` is left alone: it means the definition
 * or the state changed, and a probe request changes neither.
 */
export async function requestDestinationProbe(
  db: SqlRunner,
  id: string,
  now: number,
): Promise<StoredDestination | undefined> {
  const [row] = await db.all(
    sql`UPDATE destinations SET probe_requested_at = ${param(db.dialect.time(now))}
    WHERE id = ${param(id)}
    RETURNING ${raw(DESTINATION_COLUMNS)}`,
  )
  return row ? rowToDestination(row, db.dialect.decode) : undefined
}
