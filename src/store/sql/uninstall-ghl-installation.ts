import type { GhlTokenOwner } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/** AppUninstall of one location (or company, without its locations): one UPDATE by primary key. */
export async function uninstallGhlInstallation(
  db: SqlRunner,
  owner: GhlTokenOwner,
  now: number,
): Promise<boolean> {
  const at = param(db.dialect.time(now))
  const changed = await db.run(
    sql`UPDATE ghl_installations SET uninstalled_at = ${at}, updated_at = ${at}
      WHERE app_id = ${param(owner.appId)} AND user_type = ${param(owner.userType)}
        AND owner_id = ${param(owner.ownerId)} AND uninstalled_at IS NULL`,
  )
  return changed === 1
}
