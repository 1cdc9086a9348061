import { GHL_TOKEN_COLUMNS, rowToGhlToken } from '../ghl-token-rows.js'
import type { GhlTokenCiphertexts, GhlTokenOwner, GhlTokenRow } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * An install's pair: a new row, or the existing one made active again with the new pair. Any lease
 * ends and the version moves on, so a refresh still in flight saves nothing over the newer install.
 */
export async function putGhlToken(
  db: SqlRunner,
  owner: GhlTokenOwner,
  tokens: GhlTokenCiphertexts & { companyId: string | null },
  now: number,
): Promise<GhlTokenRow> {
  const { time } = db.dialect
  const at = param(time(now))
  const expiresAt = param(tokens.expiresAt === null ? null : time(tokens.expiresAt))
  const [row] = await db.all(
    sql`INSERT INTO ghl_tokens (app_id, user_type, owner_id, company_id, key_id, access_token, refresh_token,
        expires_at, scopes, status, version, refreshed_at, created_at, updated_at)
      VALUES (${param(owner.appId)}, ${param(owner.userType)}, ${param(owner.ownerId)}, ${param(tokens.companyId)},
        ${param(tokens.keyId)}, ${param(tokens.accessToken)}, ${param(tokens.refreshToken)}, ${expiresAt},
        ${param(tokens.scopes)}, 'active', 1, ${at}, ${at}, ${at})
      ON CONFLICT (app_id, user_type, owner_id) DO UPDATE SET
        company_id = coalesce(excluded.company_id, ghl_tokens.company_id), key_id = excluded.key_id,
        access_token = excluded.access_token, refresh_token = excluded.refresh_token,
        expires_at = excluded.expires_at, scopes = excluded.scopes, status = 'active', status_reason = NULL,
        version = ghl_tokens.version + 1, lease_holder = NULL, lease_until = NULL,
        refreshed_at = excluded.refreshed_at, updated_at = excluded.updated_at
      RETURNING ${raw(GHL_TOKEN_COLUMNS)}`,
  )
  return rowToGhlToken(row!, db.dialect.decode)
}
