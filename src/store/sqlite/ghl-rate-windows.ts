import type Database from 'better-sqlite3'
import { emptyGhlRateState, type GhlRateState, noteAnswer, settleCall, takeSlot } from '../ghl-rate-window.js'
import {
  GHL_RATE_WINDOW_COLUMNS,
  ghlRateWindowUpsert,
  ghlRateWindowValues,
  rowToGhlRateState,
} from '../ghl-rate-window-rows.js'
import type { WriteGate } from '../sql/runner.js'
import type { GhlRateLimitStore, GhlTokenOwner } from '../types.js'
import { lazyStatement } from './sqlite-runner.js'

/**
 * GHL rate windows on SQLite: the row is read, decided on (ghl-rate-window.ts) and written back in
 * one `BEGIN IMMEDIATE` transaction, which holds the database's only write lock from the read to
 * the commit, so two processes on one file take turns (busy_timeout) and neither decides from a
 * row the other is changing. Measured (bench/ghl-rate-limit.ts, docs/benchmarks.md): one take is
 * a primary-key read and a ~1 KB upsert, tens of microseconds.
 */
export function sqliteGhlRateWindows(db: Database.Database, write: WriteGate): GhlRateLimitStore {
  const read = lazyStatement(
    db,
    `SELECT ${GHL_RATE_WINDOW_COLUMNS} FROM ghl_rate_windows WHERE app_id = ? AND user_type = ? AND owner_id = ?`,
  )
  const save = lazyStatement(
    db,
    ghlRateWindowUpsert(() => '?'),
  )
  let change: ReturnType<typeof changeOf> | undefined
  const changeOf = () =>
    db.transaction(
      (
        owner: GhlTokenOwner,
        now: number,
        decide: (state: GhlRateState) => { state: GhlRateState; result: unknown },
      ) => {
        const row = read().get(owner.appId, owner.userType, owner.ownerId) as
          | Record<string, unknown>
          | undefined
        const { state, result } = decide(row ? rowToGhlRateState(row) : emptyGhlRateState())
        save().run(...ghlRateWindowValues(owner, state, now))
        return result
      },
    )
  const inTransaction = <R>(
    owner: GhlTokenOwner,
    now: number,
    decide: (state: GhlRateState) => { state: GhlRateState; result: R },
  ) => {
    change ??= changeOf()
    return change.immediate(owner, now, decide) as R
  }
  return {
    takeGhlRateSlot: write(async (owner, limits, now) =>
      inTransaction(owner, now, (state) => {
        const { take, state: next } = takeSlot(state, limits, now)
        return { state: next, result: take }
      }),
    ),
    settleGhlRateCall: write(async (owner, grantedAt, now) =>
      inTransaction(owner, now, (state) => ({ state: settleCall(state, grantedAt, now), result: undefined })),
    ),
    noteGhlRateAnswer: write(async (owner, answer, now) =>
      inTransaction(owner, now, (state) => ({ state: noteAnswer(state, answer, now), result: undefined })),
    ),
  }
}
