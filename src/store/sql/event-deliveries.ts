import { DELIVERY_COLUMNS, rowToAttempt, rowToDelivery } from '../delivery-rows.js'
import type { Attempt, Delivery } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * The deliveries of one event with their attempts over every cycle: two statements, the attempts
 * of all its deliveries in one (an index range per delivery: `attempts_delivery`).
 */
export async function eventDeliveries(
  db: SqlRunner,
  eventId: string,
): Promise<(Delivery & { attemptHistory: Attempt[] })[]> {
  const { time, json } = db.dialect.decode
  const id = param(eventId)
  const deliveries = await db.all(
    sql`SELECT ${raw(DELIVERY_COLUMNS)} FROM deliveries d WHERE d.event_id = ${id} ORDER BY d.seq`,
  )
  const attempts = await db.all(
    sql`SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = ${id}
      ORDER BY a.cycle, a.number, a.seq`,
  )
  return deliveries.map((row) => {
    const delivery = rowToDelivery(row, time)
    const attemptHistory = attempts
      .filter((a) => a.delivery_id === delivery.id)
      .map((a) => rowToAttempt(a, time, json))
    return { ...delivery, attemptHistory }
  })
}
