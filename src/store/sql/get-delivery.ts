import { DELIVERY_COLUMNS, rowToDelivery } from '../delivery-rows.js'
import type { Delivery } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

export async function getDelivery(db: SqlRunner, id: string): Promise<Delivery | undefined> {
  const [row] = await db.all(sql`SELECT ${raw(DELIVERY_COLUMNS)} FROM deliveries d WHERE d.id = ${param(id)}`)
  return row ? rowToDelivery(row, db.dialect.decode.time) : undefined
}
