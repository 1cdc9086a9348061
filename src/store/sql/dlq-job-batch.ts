import type { DlqFilter, DlqJobAction, DlqJobBatchOptions, DlqJobBatchOutcome } from '../dlq-job-store.js'
import type { Dialect } from './dialect.js'
import { discardStatement } from './discard-deliveries.js'
import { replayStatement } from './replay-deliveries.js'
import type { Row } from './runner.js'
import { param, type Sql, sql } from './sql.js'

/** What a store's driver hands back for one statement. */
export interface StepResult {
  rows: Row[]
  changes: number
}

/**
 * One batch of a bulk job, as the statements it runs, in order; each store's driver runs them in
 * ONE transaction (SQLite: synchronously under BEGIN IMMEDIATE, so no other statement of this
 * process can slip in between; PostgreSQL: on one client between BEGIN and COMMIT) and feeds each
 * result back. A generator because the statements depend on each other's results and SQLite's
 * transaction must not await.
 *
 * 1. Renew the lease — only while the job is running and still this owner's. A cancel, or another
 *    process that took over an expired lease, ends the batch with nothing done (`lost`).
 * 2. The window: the next `window` dead deliveries after the cursor, by seq, whatever the filter
 *    (bounded work per batch however selective the filter is; partial index deliveries_dead).
 *    None left → the job succeeded.
 * 3. Replay or purge the matching ones in (cursor, window end], with THE statements the single
 *    replay and purge use (replay-deliveries.ts, discard-deliveries.ts), dead before `dead_before`.
 * 4. Move the cursor to the window's end and count what changed — in the same transaction as 3, so
 *    a crash either keeps both or neither: a resumed job never replays a delivery twice. (And a
 *    delivery a job replayed that dies again has a later updated_at than `dead_before`, so even
 *    a cursor lost would not sweep it in again.)
 */
export function* dlqJobBatch(
  dialect: Dialect,
  id: string,
  owner: string,
  now: number,
  options: DlqJobBatchOptions,
): Generator<Sql, DlqJobBatchOutcome, StepResult> {
  const at = param(dialect.time(now))
  const job = param(id)
  const renewed =
    yield sql`UPDATE dlq_jobs SET lease_expires_at = ${param(dialect.time(now + options.leaseMs))},
      updated_at = ${at}
    WHERE id = ${job} AND state = 'running' AND lease_owner = ${param(owner)}
    RETURNING action, filter, dead_before, cursor`
  const row = renewed.rows[0]
  if (!row) return { status: 'lost', changed: 0 }
  const cursor = Number(row.cursor)
  const window = yield sql`SELECT max(seq) AS through FROM (
      SELECT d.seq FROM deliveries d WHERE d.state = 'dead' AND d.seq > ${param(cursor)}
      ORDER BY d.seq LIMIT ${param(options.window)}) w`
  const through = window.rows[0]?.through
  if (through === null || through === undefined) {
    yield sql`UPDATE dlq_jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL,
        finished_at = ${at}, updated_at = ${at} WHERE id = ${job}`
    return { status: 'succeeded', changed: 0 }
  }
  const saved = dialect.decode.json(row.filter) as DlqFilter
  const filter = {
    ...saved,
    until: dialect.decode.time(row.dead_before),
    seqAfter: cursor,
    seqThrough: Number(through),
    states: ['dead'] as const,
  }
  const action = row.action as DlqJobAction
  const acted = yield action === 'replay'
    ? replayStatement(dialect, filter, now, options.window)
    : discardStatement(dialect, filter, now)
  yield sql`UPDATE dlq_jobs SET cursor = ${param(Number(through))}, done = done + ${param(acted.changes)}
    WHERE id = ${job}`
  return { status: 'progress', changed: acted.changes }
}
