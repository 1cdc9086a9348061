import { deliveryConditions } from '../delivery-rows.js'
import type { DeliveryFilter } from '../types.js'
import type { Dialect } from './dialect.js'
import type { SqlRunner } from './runner.js'
import { param, type Sql, sql, where } from './sql.js'

/** Dead → discarded (purged from the dead-letter queue; still replayable). Whatever states the filter names, only dead ones move. */
export async function discardDeliveries(db: SqlRunner, filter: DeliveryFilter, now: number): Promise<number> {
  return db.run(discardStatement(db.dialect, filter, now))
}

/** The statement, also run by a bulk job's batch inside its transaction (dlq-job-batch.ts). */
export function discardStatement(dialect: Dialect, filter: DeliveryFilter, now: number): Sql {
  const at = param(dialect.time(now))
  const conditions = deliveryConditions({ ...filter, states: ['dead'] }, dialect)
  return sql`UPDATE deliveries SET state = 'discarded', updated_at = ${at}, completed_at = ${at}
    WHERE state = 'dead' AND id IN (SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id ${where(conditions)})`
}
