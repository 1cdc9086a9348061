import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * An agency uninstall: the company's row and its locations' rows — every row whose `company_id` is
 * the company (a company's own row names itself) — one range of ghl_installations_company, so the
 * work grows with the company's locations, not with the table. Measured with
 * revoke-ghl-company-tokens.ts (SQLite, 50,000 installations and tokens, a company of 100 locations).
 */
export async function uninstallGhlCompany(
  db: SqlRunner,
  appId: string,
  companyId: string,
  now: number,
): Promise<number> {
  const at = param(db.dialect.time(now))
  return db.run(
    sql`UPDATE ghl_installations SET uninstalled_at = ${at}, updated_at = ${at}
      WHERE app_id = ${param(appId)} AND company_id = ${param(companyId)} AND uninstalled_at IS NULL`,
  )
}
