import { SETTLED_STATES } from '../delivery-states.js'
import { stateList } from './delivery-states-sql.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * Retention: up to `limit` events received before `before`, oldest first, whose deliveries are all
 * settled (a dead one keeps its event until replayed or discarded). Deliveries, attempts and
 * once-results go with their event (ON DELETE CASCADE).
 */
export async function pruneEvents(db: SqlRunner, before: number, limit: number): Promise<number> {
  return db.run(
    sql`DELETE FROM events WHERE seq IN (
      SELECT e.seq FROM events e WHERE e.received_at < ${param(db.dialect.time(before))} AND NOT EXISTS (
        SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state NOT IN ${raw(stateList(SETTLED_STATES))})
      ORDER BY e.received_at LIMIT ${param(limit)})`,
  )
}
