import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * Orphans every config destination no running process has claimed since `seenBefore` (or that was
 * released): `orphaned_at` set, active ones paused with `reason` (a pause already there stays). In id order.
 */
export async function orphanConfigDestinations(
  db: SqlRunner,
  seenBefore: number,
  now: number,
  reason: string,
): Promise<string[]> {
  const at = param(db.dialect.time(now))
  const rows = await db.all<{ id: string }>(
    sql`UPDATE destinations SET orphaned_at = ${at}, updated_at = ${at},
      state = CASE WHEN state = 'active' THEN 'paused' ELSE state END,
      state_reason = CASE WHEN state = 'active' THEN ${param(reason)} ELSE state_reason END
    WHERE origin = 'config' AND orphaned_at IS NULL
      AND (config_seen_at IS NULL OR config_seen_at < ${param(db.dialect.time(seenBefore))})
    RETURNING id`,
  )
  return rows.map((row) => row.id).sort()
}
