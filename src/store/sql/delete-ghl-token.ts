import { ghlTokenOwnerIs } from '../ghl-token-rows.js'
import type { GhlTokenOwner } from '../types.js'
import type { SqlRunner } from './runner.js'
import { sql } from './sql.js'

/** Deletes one row by its primary key (a Private Integration Token removed). */
export async function deleteGhlToken(db: SqlRunner, owner: GhlTokenOwner): Promise<boolean> {
  return (await db.run(sql`DELETE FROM ghl_tokens WHERE ${ghlTokenOwnerIs(owner)}`)) === 1
}
