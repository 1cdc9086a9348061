import { decodeCursor } from '../cursor.js'
import { DELIVERY_COLUMNS, deliveryConditions, rowToDeliverySummary } from '../delivery-rows.js'
import { pageOf } from '../page.js'
import type { DeliveryFilter, DeliverySummary, Page, PageRequest } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql, where } from './sql.js'

/** Newest first; the cursor is the last `seq` seen (a literal: it is a number we decoded). */
export async function listDeliveries(
  db: SqlRunner,
  filter: DeliveryFilter,
  page: PageRequest,
): Promise<Page<DeliverySummary>> {
  const conditions = deliveryConditions(filter, db.dialect)
  const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
  if (before !== undefined) conditions.push(raw(`d.seq < ${Number(before)}`))
  const rows = await db.all(
    sql`SELECT ${raw(DELIVERY_COLUMNS)}, e.source, e.event_type, e.event_name, e.location_id, e.company_id
      FROM deliveries d JOIN events e ON e.id = d.event_id ${where(conditions)}
      ORDER BY d.seq DESC LIMIT ${param(page.limit + 1)}`,
  )
  return pageOf(rows, page.limit, (row) => rowToDeliverySummary(row, db.dialect.decode.time))
}
