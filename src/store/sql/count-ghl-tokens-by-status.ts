import { GHL_TOKEN_STATUSES, type GhlTokenStatus } from '../ghl-token-store.js'
import type { SqlRunner } from './runner.js'
import { raw, sql } from './sql.js'

/**
 * Rows per status, for the gauge and doctor (not a page load: the API counts with a cap,
 * count-ghl-tokens.ts). The table holds one row per installed location or company, not per event.
 * At 100,000 rows (bench/ghl-tokens.ts, a busy 2-core machine): SQLite 9–29 ms p50, a scan of the
 * covering index ghl_tokens_status; PostgreSQL 36–39 ms, a sequential scan and hash aggregate (its planner's choice
 * over the index). The gauge caches it for 5 s, so scrapes cost it at most once per 5 s.
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
