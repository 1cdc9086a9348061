import { ghlTokenOwnerIs } from '../ghl-token-rows.js'
import type { GhlTokenLease, GhlTokenOwner } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * Ends a lease without a new pair, as its holder only. `interrupted` keeps the holder and lets the
 * lease expire now: the row then reads as an interrupted refresh, finished by the next reader.
 */
export async function endGhlTokenLease(
  db: SqlRunner,
  owner: GhlTokenOwner,
  lease: GhlTokenLease,
  end: 'free' | 'interrupted',
  now: number,
): Promise<boolean> {
  const { leaseClock, time } = db.dialect
  const release =
    end === 'free' ? sql`lease_holder = NULL, lease_until = NULL` : sql`lease_until = ${leaseClock(now)}`
  const changed = await db.run(
    sql`UPDATE ghl_tokens SET ${release}, version = version + 1, updated_at = ${param(time(now))}
      WHERE ${ghlTokenOwnerIs(owner)} AND version = ${param(lease.version)} AND lease_holder = ${param(lease.holder)}`,
  )
  return changed === 1
}
