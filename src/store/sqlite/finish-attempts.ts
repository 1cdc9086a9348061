import type Database from 'better-sqlite3'
import { attemptEnd } from '../sql/attempts.js'
import type { Attempt, AttemptResult } from '../types.js'
import { lazyStatement } from './sqlite-runner.js'

/** Moves a leased delivery on — only while the lease is still the reporting worker's. */
const FINISH = `UPDATE deliveries SET state = ?, run_at = ?, lease_owner = NULL, last_error = ?, error_fingerprint = ?,
  updated_at = ?, completed_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?`

/**
 * The same for a deferral (GHL's rate limit): it also gives back the attempt the claim counted. A
 * statement of its own so that every other finish runs exactly as before. Same primary-key update.
 */
const FINISH_DEFERRED = `UPDATE deliveries SET state = ?, run_at = ?, lease_owner = NULL, last_error = ?,
  error_fingerprint = ?, updated_at = ?, completed_at = ?, attempts = attempts - 1
  WHERE id = ? AND state = 'leased' AND lease_owner = ?`

/**
 * The SQLite finish: one transaction (the caller runs it with BEGIN IMMEDIATE) of one update and
 * one attempt per result; an update that finds the lease gone records the attempt as `lease_lost`.
 */
export function sqliteFinish(
  db: Database.Database,
  recordAttempt: (attempt: Attempt) => void,
): Database.Transaction<(results: readonly AttemptResult[], now: number) => boolean[]> {
  const finish = lazyStatement(db, FINISH)
  const finishDeferred = lazyStatement(db, FINISH_DEFERRED)
  return db.transaction((results: readonly AttemptResult[], now: number) =>
    results.map((r) => {
      const end = attemptEnd(r.next, now)
      const applied =
        (end.givesBack ? finishDeferred() : finish()).run(
          end.state,
          end.runAt,
          end.lastError,
          end.errorFingerprint,
          now,
          end.completedAt,
          r.deliveryId,
          r.worker,
        ).changes === 1
      recordAttempt({
        ...r.attempt,
        deliveryId: r.deliveryId,
        worker: r.worker,
        outcome: applied ? end.outcome : 'lease_lost',
        traceId: r.attempt.traceId ?? null,
      })
      return applied
    }),
  )
}
