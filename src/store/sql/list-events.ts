import { rowToSummary, SUMMARY_COLUMNS } from '../event-columns.js'
import { eventConditions } from '../event-filter.js'
import { pageOf } from '../page.js'
import type { EventFilter, EventSummary, Page, PageRequest } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql, where } from './sql.js'

/** Newest first, without bodies and headers; each filter field has an index (0001_events.sql). */
export async function listEvents(
  db: SqlRunner,
  filter: EventFilter,
  page: PageRequest,
): Promise<Page<EventSummary>> {
  const conditions = eventConditions(filter, page, db.dialect.time)
  const rows = await db.all(
    sql`SELECT ${raw(SUMMARY_COLUMNS)} FROM events ${where(conditions)} ORDER BY seq DESC LIMIT ${param(page.limit + 1)}`,
  )
  return pageOf(rows, page.limit, (row) => rowToSummary(row, db.dialect.decode))
}
