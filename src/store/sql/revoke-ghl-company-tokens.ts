import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * An agency uninstall's tokens, in one UPDATE: the Company token (primary key) and every Location
 * token of the company — by the parent the token row names (partial index ghl_tokens_company) or,
 * when GHL did not name it on the token, the one its installation names (ghl_installations_company).
 * Like setGhlTokenStatus, any lease ends and the version moves on, so a refresh in flight saves
 * nothing over the revocation.
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
  return db.run(
    sql`UPDATE ghl_tokens SET status = 'revoked', status_reason = ${param(reason)},
        lease_holder = NULL, lease_until = NULL, version = version + 1, updated_at = ${param(db.dialect.time(now))}
      WHERE app_id = ${app} AND status <> 'revoked' AND (
        (user_type = 'Company' AND owner_id = ${company})
        OR (user_type = 'Location' AND company_id = ${company})
        OR (user_type = 'Location' AND owner_id IN (SELECT owner_id FROM ghl_installations
          WHERE app_id = ${app} AND company_id = ${company} AND user_type = 'Location')))`,
  )
}
