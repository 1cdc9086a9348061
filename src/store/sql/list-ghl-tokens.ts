import { decodeGhlTokenCursor, encodeGhlTokenCursor } from '../ghl-token-cursor.js'
import type { GhlTokenQuery, GhlTokenStatus, GhlTokenSummary, GhlUserType } from '../ghl-token-store.js'
import type { Page } from '../page.js'
import type { SqlRunner } from './runner.js'
import { EMPTY, param, sql } from './sql.js'

/**
 * One page of the rows of a status, in key order after the cursor's key: a range of the index
 * ghl_tokens_status (status, app_id, user_type, owner_id), `limit + 1` entries read, whatever the
 * table's size. The row-value comparison is what both databases seek the index with.
 */
export async function listGhlTokens(db: SqlRunner, query: GhlTokenQuery): Promise<Page<GhlTokenSummary>> {
  const after = query.cursor === undefined ? undefined : decodeGhlTokenCursor(query.cursor)
  const from = after
    ? sql` AND (app_id, user_type, owner_id) > (${param(after.appId)}, ${param(after.userType)}, ${param(after.ownerId)})`
    : EMPTY
  const rows = await db.all<Record<string, unknown>>(
    sql`SELECT app_id, user_type, owner_id, company_id, status, status_reason,
        refresh_token IS NOT NULL AS refreshable, refreshed_at, created_at, updated_at
      FROM ghl_tokens WHERE status = ${param(query.status)}${from}
      ORDER BY app_id, user_type, owner_id LIMIT ${param(query.limit + 1)}`,
  )
  const { time } = db.dialect.decode
  const items = rows.slice(0, query.limit).map(
    (row): GhlTokenSummary => ({
      appId: row.app_id as string,
      userType: row.user_type as GhlUserType,
      ownerId: row.owner_id as string,
      companyId: row.company_id as string | null,
      status: row.status as GhlTokenStatus,
      statusReason: row.status_reason as string | null,
      // SQLite answers 1/0, PostgreSQL true/false.
      refreshable: Boolean(row.refreshable),
      refreshedAt: row.refreshed_at === null ? null : time(row.refreshed_at),
      createdAt: time(row.created_at),
      updatedAt: time(row.updated_at),
    }),
  )
  const last = items.at(-1)
  return { items, nextCursor: rows.length > query.limit && last ? encodeGhlTokenCursor(last) : null }
}
