import type { GhlTokenOwner, GhlUserType } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * Refreshable active rows whose refresh token was last used (or issued: an install sets
 * refreshed_at too) before `before`, oldest first. Read through the partial index
 * ghl_tokens_refreshed, which holds only the rows this can return, from its oldest end: `limit`
 * entries at most. An hourly look when nothing is that old reads one index entry.
 */
export async function agedGhlTokens(db: SqlRunner, before: number, limit: number): Promise<GhlTokenOwner[]> {
  const rows = await db.all<{ app_id: string; user_type: GhlUserType; owner_id: string }>(
    sql`SELECT app_id, user_type, owner_id FROM ghl_tokens
      WHERE status = 'active' AND refresh_token IS NOT NULL AND refreshed_at < ${param(db.dialect.time(before))}
      ORDER BY refreshed_at LIMIT ${param(limit)}`,
  )
  return rows.map((row) => ({ appId: row.app_id, userType: row.user_type, ownerId: row.owner_id }))
}
