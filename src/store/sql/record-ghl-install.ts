import type { GhlTokenOwner } from '../types.js'
import type { SqlRunner } from './runner.js'
import { EMPTY, param, sql } from './sql.js'

/**
 * An install, as an upsert on the primary key (one statement). Recorded again while installed (the
 * AppInstall webhook after the callback, a second callback) it keeps `installed_at` and a bulk flag
 * already set; after an uninstall it is a new install: its own time and flag. A company GHL names
 * now fills one it had not named; a company's own row names the company itself. SET expressions read the row as it was before the statement, on
 * both databases. The caller reads the row back (get-ghl-installation.ts).
 */
export async function recordGhlInstall(
  db: SqlRunner,
  owner: GhlTokenOwner,
  install: { companyId: string | null; bulk: boolean; asOf?: number },
  now: number,
): Promise<void> {
  const at = param(db.dialect.time(now))
  // A company's row names itself as the company: its locations and it are one index range.
  const companyId = owner.userType === 'Company' ? owner.ownerId : install.companyId
  const asOf =
    install.asOf === undefined
      ? EMPTY
      : sql`WHERE ghl_installations.uninstalled_at IS NULL OR ghl_installations.uninstalled_at <= ${param(db.dialect.time(install.asOf))}`
  await db.run(
    sql`INSERT INTO ghl_installations (app_id, user_type, owner_id, company_id, installed_at, uninstalled_at,
        bulk, tenant_id, updated_at)
      VALUES (${param(owner.appId)}, ${param(owner.userType)}, ${param(owner.ownerId)}, ${param(companyId)},
        ${at}, NULL, ${param(install.bulk ? 1 : 0)}, NULL, ${at})
      ON CONFLICT (app_id, user_type, owner_id) DO UPDATE SET
        company_id = coalesce(excluded.company_id, ghl_installations.company_id),
        installed_at = CASE WHEN ghl_installations.uninstalled_at IS NULL
          THEN ghl_installations.installed_at ELSE excluded.installed_at END,
        bulk = CASE WHEN ghl_installations.uninstalled_at IS NULL AND ghl_installations.bulk = 1
          THEN 1 ELSE excluded.bulk END,
        uninstalled_at = NULL, updated_at = excluded.updated_at
      ${asOf}`,
  )
}
