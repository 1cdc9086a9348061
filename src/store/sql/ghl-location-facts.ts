import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * What each process keeps in memory so the hot paths never ask the database per event: locations
 * that are uninstalled or carry a tenant id. A scan of the app's range of the primary key, which
 * returns only the rows that matter (normally few): see docs/ghl-apps.md for the measured cost.
 */
export async function ghlLocationFacts(
  db: SqlRunner,
  appId: string,
  limit: number,
): Promise<{ locationId: string; uninstalled: boolean; tenantId: string | null }[]> {
  const rows = await db.all<{ owner_id: string; uninstalled: number; tenant_id: string | null }>(
    sql`SELECT owner_id, CASE WHEN uninstalled_at IS NULL THEN 0 ELSE 1 END AS uninstalled, tenant_id
      FROM ghl_installations
      WHERE app_id = ${param(appId)} AND user_type = 'Location'
        AND (uninstalled_at IS NOT NULL OR tenant_id IS NOT NULL)
      ORDER BY owner_id LIMIT ${param(limit)}`,
  )
  return rows.map((row) => ({
    locationId: row.owner_id,
    uninstalled: Number(row.uninstalled) === 1,
    tenantId: row.tenant_id,
  }))
}
