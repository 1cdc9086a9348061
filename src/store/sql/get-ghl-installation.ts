import { INSTALLATION_SELECT, installationIs, rowToInstallation } from '../installation-rows.js'
import type { GhlInstallation, GhlTokenOwner } from '../types.js'
import type { SqlRunner } from './runner.js'
import { sql } from './sql.js'

/** One installation by its primary key, its token's state joined by the token's primary key: two seeks. */
export async function getGhlInstallation(
  db: SqlRunner,
  owner: GhlTokenOwner,
): Promise<GhlInstallation | undefined> {
  const [row] = await db.all(sql`${INSTALLATION_SELECT} WHERE ${installationIs(owner)}`)
  return row ? rowToInstallation(row, db.dialect.decode) : undefined
}
