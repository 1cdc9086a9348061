import type { RowDecoding } from './event-columns.js'
import type { GhlTokenOwner, GhlTokenRow, GhlTokenStatus, GhlUserType } from './ghl-token-store.js'
import { param, type Sql, sql } from './sql/sql.js'

/** ghl_tokens rows → objects, shared by both stores (`decode` converts their time types). */
export const GHL_TOKEN_COLUMNS =
  'app_id, user_type, owner_id, company_id, key_id, access_token, refresh_token, expires_at, scopes, ' +
  'status, status_reason, version, lease_holder, lease_until, refreshed_at, created_at, updated_at'

type Row = Record<string, unknown>

export function rowToGhlToken(row: Row, decode: RowDecoding): GhlTokenRow {
  const timeOrNull = (value: unknown) => (value === null ? null : decode.time(value))
  return {
    appId: row.app_id as string,
    userType: row.user_type as GhlUserType,
    ownerId: row.owner_id as string,
    companyId: row.company_id as string | null,
    keyId: row.key_id as string,
    accessToken: row.access_token as Buffer,
    refreshToken: row.refresh_token as Buffer | null,
    expiresAt: timeOrNull(row.expires_at),
    scopes: row.scopes as string,
    status: row.status as GhlTokenStatus,
    statusReason: row.status_reason as string | null,
    version: Number(row.version),
    leaseHolder: row.lease_holder as string | null,
    leaseUntil: timeOrNull(row.lease_until),
    refreshedAt: timeOrNull(row.refreshed_at),
    createdAt: decode.time(row.created_at),
    updatedAt: decode.time(row.updated_at),
  }
}

/** The row of one owner: its primary key. */
export function ghlTokenOwnerIs(owner: GhlTokenOwner): Sql {
  return sql`app_id = ${param(owner.appId)} AND user_type = ${param(owner.userType)} AND owner_id = ${param(owner.ownerId)}`
}
