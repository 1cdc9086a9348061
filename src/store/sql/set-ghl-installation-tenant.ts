import type { GhlTokenOwner } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/** The user's own id for a location: one UPDATE by primary key; false when there is no installation. */
export async function setGhlInstallationTenant(
  db: SqlRunner,
  owner: GhlTokenOwner,
  tenantId: string | null,
  now: number,
): Promise<boolean> {
  const changed = await db.run(
    sql`UPDATE ghl_installations SET tenant_id = ${param(tenantId)}, updated_at = ${param(db.dialect.time(now))}
      WHERE app_id = ${param(owner.appId)} AND user_type = ${param(owner.userType)} AND owner_id = ${param(owner.ownerId)}`,
  )
  return changed === 1
}
