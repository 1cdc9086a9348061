import type pg from 'pg'
import { type GhlRateState, noteAnswer, settleCall, takeSlot } from '../ghl-rate-window.js'
import {
  GHL_RATE_WINDOW_COLUMNS,
  ghlRateWindowUpsert,
  ghlRateWindowValues,
  rowToGhlRateState,
} from '../ghl-rate-window-rows.js'
import type { GhlRateLimitStore, GhlTokenOwner } from '../types.js'

/**
 * Makes the owner's row exist and locks it for this transaction: an upsert that conflicts takes the
 * row lock and returns the newest committed version (READ COMMITTED), so a process that waited for
 * another's commit decides from what that one wrote. `now_ms` is the database's clock after the lock
 * was granted: processes on several hosts share it, not their own clocks.
 */
const LOCK = `INSERT INTO ghl_rate_windows (app_id, user_type, owner_id, calls, day_start, day_calls, updated_at)
  VALUES ($1, $2, $3, '[]', 0, 0, 0)
  ON CONFLICT (app_id, user_type, owner_id) DO UPDATE SET app_id = excluded.app_id
  RETURNING ${GHL_RATE_WINDOW_COLUMNS}, (extract(epoch from clock_timestamp()) * 1000)::float8 AS now_ms`

const SAVE = ghlRateWindowUpsert((n) => `$${n}`)

/**
 * GHL rate windows on PostgreSQL: lock the row, decide (ghl-rate-window.ts), write it back, commit —
 * four round trips on one pooled connection, the row locked for the middle two. Only the processes
 * calling GHL for the same owner wait for each other. Measured (bench/ghl-rate-limit.ts,
 * docs/benchmarks.md): see there for the cost per call against no limiter.
 */
export function postgresGhlRateWindows(pool: pg.Pool): GhlRateLimitStore {
  const inTransaction = async <R>(
    owner: GhlTokenOwner,
    decide: (state: GhlRateState, now: number) => { state: GhlRateState; result: R },
  ): Promise<R> => {
    const client = await pool.connect()
    let broken: Error | undefined
    try {
      // No wait for the commit's fsync: a rate window is worth less than that wait at every GHL call
      // (measured: 5.3 ms per call with it on a busy 2-core machine). Other sessions see the commit
      // at once; only a PostgreSQL crash can lose the last fraction of a second of counts.
      await client.query('BEGIN; SET LOCAL synchronous_commit = off')
      const { rows } = await client.query({
        name: 'lock_ghl_rate_window',
        text: LOCK,
        values: [owner.appId, owner.userType, owner.ownerId],
      })
      const row = rows[0] as Record<string, unknown>
      const now = Math.floor(Number(row.now_ms))
      const { state, result } = decide(rowToGhlRateState(row), now)
      await client.query({
        name: 'save_ghl_rate_window',
        text: SAVE,
        values: ghlRateWindowValues(owner, state, now),
      })
      await client.query('COMMIT')
      return result
    } catch (error) {
      // A connection that cannot even roll back is dropped from the pool, not reused.
      await client.query('ROLLBACK').catch((rollback: Error) => {
        broken = rollback
      })
      throw error
    } finally {
      client.release(broken)
    }
  }
  return {
    takeGhlRateSlot: (owner, limits) =>
      inTransaction(owner, (state, now) => {
        const { take, state: next } = takeSlot(state, limits, now)
        return { state: next, result: take }
      }),
    settleGhlRateCall: (owner, grantedAt) =>
      inTransaction(owner, (state, now) => ({ state: settleCall(state, grantedAt, now), result: undefined })),
    noteGhlRateAnswer: (owner, answer) =>
      inTransaction(owner, (state, now) => ({ state: noteAnswer(state, answer, now), result: undefined })),
  }
}
