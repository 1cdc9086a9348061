import { GHL_TOKEN_COLUMNS, ghlTokenOwnerIs, rowToGhlToken } from '../ghl-token-rows.js'
import type { GhlTokenOwner, GhlTokenRow } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * The refresh lease: one conditional UPDATE of one row (its primary key), so of any number of
 * processes exactly one gets the row back. On PostgreSQL the row lock orders concurrent takers and
 * the second re-checks the condition after the first committed; on SQLite the statement takes the
 * write lock before it reads (as BEGIN IMMEDIATE does for a transaction), so the second waits for
 * the first (busy_timeout) and then finds the lease taken. RETURNING is the re-read after taking
 * it: the row as it is now, which another process may have refreshed since the caller last read it.
 */
export async function leaseGhlToken(
  db: SqlRunner,
  owner: GhlTokenOwner,
  holder: string,
  leaseMs: number,
  now: number,
): Promise<GhlTokenRow | undefined> {
  const { leaseClock, plusMs, time } = db.dialect
  const clock = leaseClock(now)
  const [row] = await db.all(
    sql`UPDATE ghl_tokens SET lease_holder = ${param(holder)}, lease_until = ${plusMs(clock, param(leaseMs))},
        version = version + 1, updated_at = ${param(time(now))}
      WHERE ${ghlTokenOwnerIs(owner)} AND status = 'active'
        AND (lease_holder IS NULL OR lease_until <= ${clock})
      RETURNING ${raw(GHL_TOKEN_COLUMNS)}`,
  )
  return row ? rowToGhlToken(row, db.dialect.decode) : undefined
}
