import { OPEN_STATES_SQL } from './delivery-states-sql.js'
import type { SqlRunner } from './runner.js'
import { raw, sql } from './sql.js'

/**
 * Open deliveries: the backlog back-pressure watches (ingest counts it once a second). On SQLite
 * the count is a scan of the partial index `deliveries_due`, whose WHERE is the same state list.
 */
export async function countBacklog(db: SqlRunner): Promise<number> {
  const [row] = await db.all<{ n: number }>(
    sql`SELECT ${db.dialect.int(raw('count(*)'))} AS n FROM deliveries WHERE state IN ${raw(OPEN_STATES_SQL)}`,
  )
  return row!.n
}
