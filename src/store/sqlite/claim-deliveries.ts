import type Database from 'better-sqlite3'
import { DELIVERY_COLUMNS, rowToDelivery } from '../delivery-rows.js'
import { lostLeaseAttempt } from '../sql/attempts.js'
import { OPEN_STATES_SQL } from '../sql/delivery-states-sql.js'
import type { Row } from '../sql/runner.js'
import type { Attempt, ClaimedDelivery, ClaimRequest, StoredEvent } from '../types.js'
import { lazyStatement } from './sqlite-runner.js'

/**
 * The oldest due deliveries of one subscriber; for ordered ones only the head of each entity (an
 * older open delivery of the same entity — pending, leased or waiting for a retry — holds the rest
 * back). Both state lists are the literal WHERE of the partial indexes `deliveries_due` and
 * `deliveries_ordering`, so the planner reads those indexes.
 */
const DUE = `SELECT ${DELIVERY_COLUMNS} FROM deliveries d
  WHERE d.subscriber_id = ? AND d.state IN ${OPEN_STATES_SQL} AND d.run_at <= ?
    AND (d.ordering_key IS NULL OR NOT EXISTS (
      SELECT 1 FROM deliveries h
      WHERE h.ordering_key = d.ordering_key AND h.event_seq < d.event_seq AND h.state IN ${OPEN_STATES_SQL}))
  ORDER BY d.run_at, d.seq LIMIT ?`

/** The lease: `run_at` becomes its expiry, and the attempt about to run is counted now. */
const LEASE = `UPDATE deliveries SET state = 'leased', lease_owner = ?, run_at = ?, attempts = attempts + 1,
  total_attempts = total_attempts + 1, updated_at = ? WHERE id = ?`

/**
 * The SQLite claim. SQLite has one writer at a time, so a claim is simply a write transaction
 * (the caller runs it with BEGIN IMMEDIATE): select the due heads, lease them, commit. No other
 * process can interleave, which is what FOR UPDATE SKIP LOCKED buys on PostgreSQL.
 */
export function sqliteClaim(
  db: Database.Database,
  recordAttempt: (attempt: Attempt) => void,
  getEvent: (id: string) => StoredEvent | undefined,
): Database.Transaction<(request: ClaimRequest) => ClaimedDelivery[]> {
  const due = lazyStatement(db, DUE)
  const lease = lazyStatement(db, LEASE)
  return db.transaction((request: ClaimRequest): ClaimedDelivery[] => {
    const claimed: ClaimedDelivery[] = []
    const leaseUntil = request.now + request.leaseMs
    for (const { subscriberId, limit } of request.slots) {
      if (limit <= 0) continue
      for (const row of due().all(subscriberId, request.now, limit) as Row[]) {
        const delivery = rowToDelivery(row, (value) => value as number)
        if (delivery.state === 'leased') {
          recordAttempt(
            lostLeaseAttempt(
              {
                deliveryId: delivery.id,
                number: delivery.attempts,
                cycle: delivery.cycle,
                owner: delivery.leaseOwner,
                leasedAt: delivery.updatedAt,
              },
              request.now,
            ),
          )
        }
        lease().run(request.worker, leaseUntil, request.now, delivery.id)
        const event = getEvent(delivery.eventId)
        if (!event) continue
        claimed.push({
          ...delivery,
          state: 'leased',
          leaseOwner: request.worker,
          runAt: leaseUntil,
          attempts: delivery.attempts + 1,
          totalAttempts: delivery.totalAttempts + 1,
          updatedAt: request.now,
          event,
        })
      }
    }
    return claimed
  })
}
