import type pg from 'pg'
import { attemptEnd } from '../sql/attempts.js'
import type { AttemptResult } from '../types.js'

/**
 * One statement for a whole batch of results: move each leased delivery on (only if the lease is
 * still the reporting worker's) and record every attempt — `lease_lost` where nothing moved. A
 * deferral (GHL's rate limit) gives back the attempt its claim counted (`gives_back` 1, else 0).
 */
const FINISH = `WITH r AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::timestamptz[],
      $20::text[], $21::int[]) AS r(id, worker, state, run_at, error, completed_at, fingerprint, gives_back)
  ), moved AS (
    UPDATE deliveries d SET state = r.state, run_at = r.run_at, lease_owner = NULL, last_error = r.error,
      error_fingerprint = r.fingerprint, updated_at = $7, completed_at = r.completed_at,
      attempts = d.attempts - r.gives_back
    FROM r WHERE d.id = r.id AND d.state = 'leased' AND d.lease_owner = r.worker
    RETURNING d.id
  )
  INSERT INTO attempts (id, delivery_id, number, cycle, worker, started_at, duration_ms, outcome, error_class,
    error_message, error_stack, response, trace_id)
  SELECT a.id, a.delivery_id, a.number, a.cycle, a.worker, a.started_at, a.duration_ms,
    CASE WHEN moved.id IS NULL THEN 'lease_lost' ELSE a.outcome END,
    a.error_class, a.error_message, a.error_stack, a.response, a.trace_id
  FROM unnest($8::text[], $9::text[], $10::int[], $11::text[], $12::timestamptz[], $13::float8[], $14::text[],
    $15::text[], $16::text[], $17::text[], $18::jsonb[], $19::int[], $22::text[])
    AS a(id, delivery_id, number, worker, started_at, duration_ms, outcome, error_class, error_message,
      error_stack, response, cycle, trace_id)
  LEFT JOIN moved ON moved.id = a.delivery_id
  RETURNING delivery_id, outcome`

export async function finishAttempts(
  pool: pg.Pool,
  results: readonly AttemptResult[],
  now: number,
): Promise<boolean[]> {
  if (results.length === 0) return []
  const ends = results.map((r) => attemptEnd(r.next, now))
  const at = (ms: number | null) => (ms === null ? null : new Date(ms))
  const { rows } = await pool.query<{ delivery_id: string; outcome: string }>({
    name: 'finish_attempts',
    text: FINISH,
    values: [
      results.map((r) => r.deliveryId),
      results.map((r) => r.worker),
      ends.map((end) => end.state),
      ends.map((end) => at(end.runAt)),
      ends.map((end) => end.lastError),
      ends.map((end) => at(end.completedAt)),
      new Date(now),
      results.map((r) => r.attempt.id),
      results.map((r) => r.deliveryId),
      results.map((r) => r.attempt.number),
      results.map((r) => r.worker),
      results.map((r) => new Date(r.attempt.startedAt)),
      results.map((r) => r.attempt.durationMs),
      ends.map((end) => end.outcome),
      results.map((r) => r.attempt.errorClass),
      results.map((r) => r.attempt.errorMessage),
      results.map((r) => r.attempt.errorStack),
      results.map((r) => (r.attempt.response ? JSON.stringify(r.attempt.response) : null)),
      results.map((r) => r.attempt.cycle),
      ends.map((end) => end.errorFingerprint),
      ends.map((end) => end.givesBack),
      results.map((r) => r.attempt.traceId ?? null),
    ],
  })
  const lost = new Set(rows.filter((row) => row.outcome === 'lease_lost').map((row) => row.delivery_id))
  return results.map((r) => !lost.has(r.deliveryId))
}
