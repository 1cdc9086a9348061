import { GHL_TOKEN_COLUMNS, rowToGhlToken } from '../ghl-token-rows.js'
import type { GhlTokenRow } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * One row per key id, for the boot check: DISTINCT walks the index ghl_tokens_key (a covering scan,
 * no table rows read), then one indexed lookup per key id. Measured on SQLite with 100,000 rows and
 * two key ids: 23–32 ms, once per boot (PostgreSQL not measured). If installs grow far beyond that,
 * a recursive "loose index scan" would read one index entry per key id instead.
 */
export async function sampleGhlTokensByKey(db: SqlRunner): Promise<GhlTokenRow[]> {
  const keys = await db.all<{ key_id: string }>(sql`SELECT DISTINCT key_id FROM ghl_tokens`)
  const rows: GhlTokenRow[] = []
  for (const { key_id } of keys) {
    const [row] = await db.all(
      sql`SELECT ${raw(GHL_TOKEN_COLUMNS)} FROM ghl_tokens WHERE key_id = ${param(key_id)} LIMIT 1`,
    )
    if (row) rows.push(rowToGhlToken(row, db.dialect.decode))
  }
  return rows
}
