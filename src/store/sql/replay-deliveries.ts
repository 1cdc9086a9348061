import { deliveryConditions } from '../delivery-rows.js'
import { FINISHED_STATES } from '../delivery-states.js'
import type { DeliveryFilter } from '../types.js'
import { OPEN_STATES_SQL } from './delivery-states-sql.js'
import type { Dialect } from './dialect.js'
import type { SqlRunner } from './runner.js'
import { param, raw, type Sql, sql, where } from './sql.js'

/**
 * Starts a new cycle for up to `limit` finished deliveries matching the filter (oldest first):
 * pending, due now, attempts numbered from 1 again; the attempt history stays. The outer
 * `NOT IN` open states re-checks what the subquery chose, so a delivery that is open is never
 * replayed even when the filter names an open state.
 */
export async function replayDeliveries(
  db: SqlRunner,
  filter: DeliveryFilter,
  now: number,
  limit: number,
): Promise<number> {
  return db.run(replayStatement(db.dialect, filter, now, limit))
}

/** The statement, also run by a bulk job's batch inside its transaction (dlq-job-batch.ts). */
export function replayStatement(dialect: Dialect, filter: DeliveryFilter, now: number, limit: number): Sql {
  const at = param(dialect.time(now))
  const conditions = deliveryConditions({ ...filter, states: filter.states ?? FINISHED_STATES }, dialect)
  return sql`UPDATE deliveries SET state = 'pending', run_at = ${at}, cycle = cycle + 1, attempts = 0,
      cycle_started_at = ${at}, lease_owner = NULL, completed_at = NULL, updated_at = ${at}
    WHERE state NOT IN ${raw(OPEN_STATES_SQL)} AND id IN (
      SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id ${where(conditions)}
      ORDER BY d.seq LIMIT ${param(limit)})`
}
