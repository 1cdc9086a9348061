import { DESTINATION_COLUMNS, rowToDestination } from '../destination-rows.js'
import type { StoredDestination } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/** Oldest first: the order destinations were defined in. */
export async function listDestinations(db: SqlRunner): Promise<StoredDestination[]> {
  const rows = await db.all(sql`SELECT ${raw(DESTINATION_COLUMNS)} FROM destinations ORDER BY created_at, id`)
  return rows.map((row) => rowToDestination(row, db.dialect.decode))
}

export async function getDestination(db: SqlRunner, id: string): Promise<StoredDestination | undefined> {
  const [row] = await db.all(
    sql`SELECT ${raw(DESTINATION_COLUMNS)} FROM destinations WHERE id = ${param(id)}`,
  )
  return row ? rowToDestination(row, db.dialect.decode) : undefined
}
