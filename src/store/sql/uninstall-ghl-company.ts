import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * An agency uninstall: the company's row (primary key) and its locations' rows (the partial index
 * ghl_installations_company: one range of the company's rows), in one UPDATE. Work grows with the
 * company's locations, not with the table.
 */
export async function uninstallGhlCompany(
  db: SqlRunner,
  appId: string,
  companyId: string,
  now: number,
): Promise<number> {
  const at = param(db.dialect.time(now))
  const company = param(companyId)
  return db.run(
    sql`UPDATE ghl_installations SET uninstalled_at = ${at}, updated_at = ${at}
      WHERE app_id = ${param(appId)} AND uninstalled_at IS NULL
        AND ((user_type = 'Company' AND owner_id = ${company}) OR company_id = ${company})`,
  )
}
