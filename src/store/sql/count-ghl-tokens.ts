import type { GhlTokenStatus } from '../ghl-token-store.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * Rows of one status, counted up to `cap` (the answer is then `cap`, and the caller says "or more"):
 * a range of the covering index ghl_tokens_status, at most `cap` entries read — what a console page
 * load may cost. 100,000 rows, 1,000 needs_reauth: 0.1–0.3 ms (bench/ghl-tokens.ts).
 */
export async function countGhlTokens(db: SqlRunner, status: GhlTokenStatus, cap: number): Promise<number> {
  const [row] = await db.all<{ n: number }>(
    sql`SELECT ${db.dialect.int(raw('count(*)'))} AS n FROM (
        SELECT 1 FROM ghl_tokens WHERE status = ${param(status)} LIMIT ${param(cap)}
      ) capped`,
  )
  return Number(row?.n ?? 0)
}
