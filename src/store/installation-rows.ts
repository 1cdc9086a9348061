import type { RowDecoding } from './event-columns.js'
import type { GhlTokenOwner, GhlTokenStatus, GhlUserType } from './ghl-token-store.js'
import type { GhlInstallation } from './installation-store.js'
import { param, raw, type Sql, sql } from './sql/sql.js'

/**
 * ghl_installations rows → objects, shared by both stores: the installation (`i`) and the state of
 * its token (`t`, LEFT JOINed on the same key: the token's status has one home, ghl_tokens).
 */
export const INSTALLATION_SELECT = raw(
  `SELECT i.app_id, i.user_type, i.owner_id, i.company_id, i.installed_at, i.uninstalled_at, i.bulk,
      i.tenant_id, i.updated_at, t.status AS token_status, t.status_reason AS token_status_reason,
      t.scopes AS token_scopes, t.expires_at AS token_expires_at, t.refreshed_at AS token_refreshed_at
    FROM ghl_installations i
    LEFT JOIN ghl_tokens t ON t.app_id = i.app_id AND t.user_type = i.user_type AND t.owner_id = i.owner_id`,
)

type Row = Record<string, unknown>

export function rowToInstallation(row: Row, decode: RowDecoding): GhlInstallation {
  const timeOrNull = (value: unknown) => (value === null ? null : decode.time(value))
  return {
    appId: row.app_id as string,
    userType: row.user_type as GhlUserType,
    ownerId: row.owner_id as string,
    companyId: row.company_id as string | null,
    installedAt: decode.time(row.installed_at),
    uninstalledAt: timeOrNull(row.uninstalled_at),
    bulk: Number(row.bulk) === 1,
    tenantId: row.tenant_id as string | null,
    updatedAt: decode.time(row.updated_at),
    token:
      row.token_status === null || row.token_status === undefined
        ? null
        : {
            status: row.token_status as GhlTokenStatus,
            statusReason: row.token_status_reason as string | null,
            scopes: row.token_scopes as string,
            expiresAt: timeOrNull(row.token_expires_at),
            refreshedAt: timeOrNull(row.token_refreshed_at),
          },
  }
}

/** The installation of one owner: its primary key (alias `i`). */
export function installationIs(owner: GhlTokenOwner): Sql {
  return sql`i.app_id = ${param(owner.appId)} AND i.user_type = ${param(owner.userType)} AND i.owner_id = ${param(owner.ownerId)}`
}
