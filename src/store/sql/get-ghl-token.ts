import { GHL_TOKEN_COLUMNS, ghlTokenOwnerIs, rowToGhlToken } from '../ghl-token-rows.js'
import type { GhlTokenOwner, GhlTokenRow } from '../types.js'
import type { SqlRunner } from './runner.js'
import { raw, sql } from './sql.js'

/** One row by its primary key: what every token request reads first. */
export async function getGhlToken(db: SqlRunner, owner: GhlTokenOwner): Promise<GhlTokenRow | undefined> {
  const [row] = await db.all(
    sql`SELECT ${raw(GHL_TOKEN_COLUMNS)} FROM ghl_tokens WHERE ${ghlTokenOwnerIs(owner)}`,
  )
  return row ? rowToGhlToken(row, db.dialect.decode) : undefined
}
