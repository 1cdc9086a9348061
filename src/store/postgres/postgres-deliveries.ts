import type pg from 'pg'
import type { SqlRunner } from '../sql/runner.js'
import { sharedDeliveries } from '../sql/shared-deliveries.js'
import type { DeliveryStore, StoredEvent } from '../types.js'
import { claimDeliveries } from './claim-deliveries.js'
import { finishAttempts } from './finish-attempts.js'

/** Back to pending, unstarted: the claim counted an attempt that never ran, so it is uncounted. */
const RELEASE = `UPDATE deliveries SET state = 'pending', lease_owner = NULL, run_at = $1, attempts = attempts - 1,
    total_attempts = total_attempts - 1, updated_at = $1
  WHERE id = ANY($2) AND state = 'leased' AND lease_owner = $3`

/** New deliveries for an existing event, as arrays joined to it; a subscriber it has already is skipped. */
const ADD = `INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at, cycle_started_at,
    created_at, updated_at)
  SELECT d.id, e.id, e.seq, d.subscriber_id, 'pending', d.ordering_key, d.run_at, $3, $3, $3
  FROM unnest($2::text[], $4::text[], $5::text[], $6::timestamptz[]) AS d(id, subscriber_id, ordering_key, run_at)
  JOIN events e ON e.id = $1
  ON CONFLICT (event_id, subscriber_id) DO NOTHING`

/**
 * The delivery half of the PostgreSQL store: the operations both stores share (sql/), plus those
 * PostgreSQL runs its own way (see sql/shared-deliveries.ts for why). Several gateway processes
 * claim from the same table; every statement that ends a lease checks the lease owner, so a worker
 * whose lease expired cannot overwrite the outcome of the worker that took over.
 */
export function postgresDeliveries(
  pool: pg.Pool,
  runner: SqlRunner,
  eventsById: (ids: string[]) => Promise<Map<string, StoredEvent>>,
): DeliveryStore {
  return {
    ...sharedDeliveries(runner),
    claimDeliveries: (request) => claimDeliveries(pool, eventsById, request),
    finishAttempts: (results, now) => finishAttempts(pool, results, now),
    async releaseDeliveries(ids, worker, now) {
      const { rowCount } = await pool.query(RELEASE, [new Date(now), ids, worker])
      return rowCount ?? 0
    },
    async addDeliveries(eventId, deliveries, now) {
      if (deliveries.length === 0) return 0
      const { rowCount } = await pool.query(ADD, [
        eventId,
        deliveries.map((d) => d.id),
        new Date(now),
        deliveries.map((d) => d.subscriberId),
        deliveries.map((d) => d.orderingKey),
        deliveries.map((d) => new Date(d.runAt)),
      ])
      return rowCount ?? 0
    },
  }
}
