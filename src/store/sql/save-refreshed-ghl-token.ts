import { GHL_TOKEN_COLUMNS, ghlTokenOwnerIs, rowToGhlToken } from '../ghl-token-rows.js'
import type { GhlTokenCiphertexts, GhlTokenLease, GhlTokenOwner, GhlTokenRow } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * A refreshed pair, written only by the lease's holder at the version its lease gave it
 * (compare-and-swap): a holder whose lease expired and was taken over writes nothing.
 */
export async function saveRefreshedGhlToken(
  db: SqlRunner,
  owner: GhlTokenOwner,
  lease: GhlTokenLease,
  tokens: GhlTokenCiphertexts,
  now: number,
): Promise<GhlTokenRow | undefined> {
  const { time } = db.dialect
  const at = param(time(now))
  const [row] = await db.all(
    sql`UPDATE ghl_tokens SET key_id = ${param(tokens.keyId)}, access_token = ${param(tokens.accessToken)},
        refresh_token = ${param(tokens.refreshToken)},
        expires_at = ${param(tokens.expiresAt === null ? null : time(tokens.expiresAt))},
        scopes = ${param(tokens.scopes)}, version = version + 1, lease_holder = NULL, lease_until = NULL,
        refreshed_at = ${at}, updated_at = ${at}
      WHERE ${ghlTokenOwnerIs(owner)} AND version = ${param(lease.version)} AND lease_holder = ${param(lease.holder)}
      RETURNING ${raw(GHL_TOKEN_COLUMNS)}`,
  )
  return row ? rowToGhlToken(row, db.dialect.decode) : undefined
}
