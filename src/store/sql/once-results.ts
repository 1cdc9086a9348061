import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/**
 * ctx.once: a handler's recorded side-effect results, per delivery and key. `undefined` is stored
 * as NULL; the first writer wins (a concurrent second one reads the first one's result back).
 */
export async function onceResult(
  db: SqlRunner,
  deliveryId: string,
  key: string,
): Promise<{ found: boolean; result: unknown }> {
  const [row] = await db.all<{ result: unknown }>(
    sql`SELECT result FROM once_results WHERE delivery_id = ${param(deliveryId)} AND key = ${param(key)}`,
  )
  if (!row) return { found: false, result: undefined }
  return { found: true, result: row.result === null ? undefined : db.dialect.decode.json(row.result) }
}

export async function recordOnce(
  db: SqlRunner,
  deliveryId: string,
  key: string,
  result: unknown,
  now: number,
): Promise<unknown> {
  const value = result === undefined ? null : JSON.stringify(result)
  await db.run(
    sql`INSERT INTO once_results (delivery_id, key, result, created_at)
      VALUES (${param(deliveryId)}, ${param(key)}, ${param(value)}, ${param(db.dialect.time(now))})
      ON CONFLICT (delivery_id, key) DO NOTHING`,
  )
  return (await onceResult(db, deliveryId, key)).result
}
