import { ghlTokenOwnerIs } from '../ghl-token-rows.js'
import type { GhlTokenLease, GhlTokenOwner, GhlTokenStatus } from '../types.js'
import type { SqlRunner } from './runner.js'
import { EMPTY, param, sql } from './sql.js'

/**
 * A new status (needs_reauth, revoked) ends any lease and moves the version on, so a refresh in
 * flight saves nothing over it. With `lease`, only that lease's holder may set it.
 */
export async function setGhlTokenStatus(
  db: SqlRunner,
  owner: GhlTokenOwner,
  status: GhlTokenStatus,
  reason: string | null,
  now: number,
  lease?: GhlTokenLease,
): Promise<boolean> {
  const holder = lease
    ? sql` AND version = ${param(lease.version)} AND lease_holder = ${param(lease.holder)}`
    : EMPTY
  const changed = await db.run(
    sql`UPDATE ghl_tokens SET status = ${param(status)}, status_reason = ${param(reason)},
        lease_holder = NULL, lease_until = NULL, version = version + 1, updated_at = ${param(db.dialect.time(now))}
      WHERE ${ghlTokenOwnerIs(owner)}${holder}`,
  )
  return changed === 1
}
