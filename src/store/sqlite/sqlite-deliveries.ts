import type Database from 'better-sqlite3'
import { leaseFields } from '../delivery-rows.js'
import { sharedDeliveries } from '../sql/shared-deliveries.js'
import type { DeliveryStore, NewDelivery, StoredEvent } from '../types.js'
import { sqliteClaim } from './claim-deliveries.js'
import { sqliteFinish } from './finish-attempts.js'
import { attemptInserter } from './insert-attempt.js'
import { lazyStatement, type SqliteRunner } from './sqlite-runner.js'

/** Pending, or leased at ingest (leaseFields): then due again at the lease's end, its first attempt counted. */
const INSERT_DELIVERY = `INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at,
  lease_owner, attempts, total_attempts, cycle_started_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (event_id, subscriber_id) DO NOTHING`

/** Back to pending, unstarted: the claim counted an attempt that never ran, so it is uncounted. */
const RELEASE = `UPDATE deliveries SET state = 'pending', lease_owner = NULL, run_at = ?, attempts = attempts - 1,
  total_attempts = total_attempts - 1, updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?`

/**
 * The delivery half of the SQLite store: the operations both stores share (sql/), plus those SQLite
 * runs its own way (see sql/shared-deliveries.ts for why) — each a transaction of prepared
 * statements, run with BEGIN IMMEDIATE.
 */
export function sqliteDeliveries(
  db: Database.Database,
  runner: SqliteRunner,
  getEvent: (id: string) => StoredEvent | undefined,
) {
  const insert = lazyStatement(db, INSERT_DELIVERY)
  const release = lazyStatement(db, RELEASE)
  const eventSeq = lazyStatement(db, 'SELECT seq FROM events WHERE id = ?')
  const recordAttempt = attemptInserter(db)
  const claim = sqliteClaim(db, recordAttempt, getEvent)
  const finish = sqliteFinish(db, recordAttempt)
  const { write } = runner

  /** Inserts an event's deliveries; runs inside the caller's write transaction. */
  const insertFor = (
    eventId: string,
    eventSeq: number,
    cycleStartedAt: number,
    deliveries: readonly NewDelivery[],
    now: number,
  ) => {
    let created = 0
    for (const d of deliveries) {
      const lease = leaseFields(d)
      created += insert().run(
        d.id,
        eventId,
        eventSeq,
        d.subscriberId,
        lease.state,
        d.orderingKey,
        lease.runAt,
        lease.owner,
        lease.attempts,
        lease.attempts,
        cycleStartedAt,
        now,
        now,
      ).changes
    }
    return created
  }

  const methods: DeliveryStore = {
    ...sharedDeliveries(runner),
    claimDeliveries: write(async (request) => claim.immediate(request)),
    finishAttempts: write(async (results, now) => (results.length ? finish.immediate(results, now) : [])),
    releaseDeliveries: write(async (ids, worker, now) =>
      db
        .transaction(() => ids.reduce((n, id) => n + release().run(now, now, id, worker).changes, 0))
        .immediate(),
    ),
    addDeliveries: write(async (eventId, deliveries, now) =>
      db
        .transaction(() => {
          const seq = eventSeq().pluck().get(eventId) as number | undefined
          return seq === undefined ? 0 : insertFor(eventId, seq, now, deliveries, now)
        })
        .immediate(),
    ),
  }
  return { methods, insertFor }
}
