import { GHL_TOKEN_STATUSES, type GhlTokenStatus } from '../ghl-token-store.js'
import type { SqlRunner } from './runner.js'
import { raw, sql } from './sql.js'

/**
 * Rows per status. The table holds one row per installed location or company (not per event), and
 * the count reads only the covering index ghl_tokens_status. Measured on SQLite with 100,000 rows
 * (99,000 active, 1,000 needs_reauth): see the measurement in docs/ghl-apps.md ("When a location
 * needs re-authorising"); the gauge caches it for 5 s, so a scrape costs it at most once.
 */
export async function countGhlTokensByStatus(db: SqlRunner): Promise<Record<GhlTokenStatus, number>> {
  const rows = await db.all<{ status: GhlTokenStatus; n: number }>(
    sql`SELECT status, ${db.dialect.int(raw('count(*)'))} AS n FROM ghl_tokens GROUP BY status`,
  )
  const counts = Object.fromEntries(GHL_TOKEN_STATUSES.map((status) => [status, 0])) as Record<
    GhlTokenStatus,
    number
  >
  for (const row of rows) counts[row.status] = Number(row.n)
  return counts
}
