import type { SqlRunner } from './runner.js'
import { param, type Sql, sql } from './sql.js'

/**
 * An agency uninstall's tokens: the Company token and every Location token of the company become
 * `revoked`. Two UPDATEs, each a few index seeks: the owners the installations name under the
 * company (ghl_installations_company, then the token's primary key), and the tokens whose row names
 * the company as parent (partial index ghl_tokens_company) — a token stored without an installation
 * is still found. Written as one OR, both planners read the app's whole primary-key range instead
 * (SQLite, 50,000 tokens: 33.7 ms; see the comment of uninstall-ghl-company.ts for the split's
 * numbers). Like setGhlTokenStatus, any lease ends and the version moves on, so a refresh in flight
 * saves nothing over the revocation. Idempotent: a retry after a failure between the two revokes
 * what is left.
 */
export async function revokeGhlCompanyTokens(
  db: SqlRunner,
  appId: string,
  companyId: string,
  reason: string,
  now: number,
): Promise<number> {
  const app = param(appId)
  const company = param(companyId)
  const revoke = (which: Sql) =>
    db.run(
      sql`UPDATE ghl_tokens SET status = 'revoked', status_reason = ${param(reason)},
          lease_holder = NULL, lease_until = NULL, version = version + 1, updated_at = ${param(db.dialect.time(now))}
        WHERE ${which} AND status <> 'revoked'`,
    )
  const named = await revoke(
    sql`app_id = ${app} AND user_type IN ('Company', 'Location') AND owner_id IN (
      SELECT ${company} UNION SELECT owner_id FROM ghl_installations WHERE app_id = ${app} AND company_id = ${company})`,
  )
  const parented = await revoke(sql`app_id = ${app} AND company_id = ${company}`)
  return named + parented
}
