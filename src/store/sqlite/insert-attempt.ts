import type Database from 'better-sqlite3'
import type { Attempt } from '../types.js'
import { lazyStatement } from './sqlite-runner.js'

const INSERT_ATTEMPT = `INSERT INTO attempts (id, delivery_id, number, cycle, worker, started_at, duration_ms, outcome,
  error_class, error_message, error_stack, response, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

/** Records one attempt (a finished one, or a lease that ran out); called inside a write transaction. */
export function attemptInserter(db: Database.Database): (attempt: Attempt) => void {
  const insert = lazyStatement(db, INSERT_ATTEMPT)
  return (a) => {
    insert().run(
      a.id,
      a.deliveryId,
      a.number,
      a.cycle,
      a.worker,
      a.startedAt,
      a.durationMs,
      a.outcome,
      a.errorClass ?? null,
      a.errorMessage ?? null,
      a.errorStack ?? null,
      a.response ? JSON.stringify(a.response) : null,
      a.traceId,
    )
  }
}
