import { decodeCursor, encodeCursor } from '../cursor.js'
import { rowToSummary, SUMMARY_COLUMNS } from '../event-columns.js'
import { bodyCondition, eventConditions, idCondition, searchText } from '../event-filter.js'
import type { EventFilter, EventPage, PageRequest, ScanBudget } from '../types.js'
import { deliveryCounts } from './delivery-counts.js'
import { eventStatusCondition } from './event-status-sql.js'
import type { Row, SqlRunner } from './runner.js'
import { DEFAULT_SCAN_BUDGET, scanEvents } from './scan-events.js'
import { join, param, raw, type Sql, sql, where } from './sql.js'
import { eventsOfFewDeliveries } from './status-from-deliveries.js'

/**
 * Newest first, without bodies and headers, with each event's delivery counts (one more statement
 * for the page: delivery-counts.ts). Three ways, decided by the filter:
 *
 * - indexed filters only: one statement (each filter has an index, 0001_events.sql);
 * - `q` that some event has as an id (event, delivery, dedupe key, entity): one statement through
 *   those ids' indexes, however far back the event is — on every page, so a search that found ids
 *   keeps listing ids (a continuation page that finds none checks, with one indexed probe, whether
 *   the search had found ids at all);
 * - `status=failed|pending` while few deliveries are dead or open: one statement from those
 *   deliveries (status-from-deliveries.ts), with any `q` tested on their events only;
 * - otherwise, with `q` (raw body text) or `status`: the bounded scan (scan-events.ts), which
 *   answers `searchedBackTo` when its budget ends before the page is full.
 */
export async function listEvents(
  db: SqlRunner,
  filter: EventFilter,
  page: PageRequest,
  budget: Partial<ScanBudget> = {},
): Promise<EventPage> {
  const { decode, time } = db.dialect
  const filters = eventConditions(filter, time)
  const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
  const below = before === undefined ? [] : [sql`e.seq < ${param(before)}`]
  const newest = (conditions: Sql[], limit: number) =>
    db.all(
      sql`SELECT ${raw(SUMMARY_COLUMNS)} FROM events e ${where(conditions)} ORDER BY e.seq DESC LIMIT ${param(limit)}`,
    )
  /** The page from up to `limit + 1` rows; `more` when a bounded scan stopped before filling it. */
  const answer = async (
    rows: Row[],
    more?: { before: number; searchedBackTo: unknown },
  ): Promise<EventPage> => {
    const items = rows.slice(0, page.limit).map((row) => rowToSummary(row, decode))
    const counts = await deliveryCounts(
      db,
      items.map((e) => e.id),
    )
    const last = items.at(-1)
    return {
      items: items.map((e) => ({ ...e, deliveryCounts: counts.get(e.id)! })),
      nextCursor: more
        ? encodeCursor(more.before)
        : rows.length > page.limit && last
          ? encodeCursor(last.seq)
          : null,
      searchedBackTo: more && more.searchedBackTo != null ? decode.time(more.searchedBackTo) : null,
    }
  }

  if (filter.q !== undefined) {
    const ids = [...filters, idCondition(searchText(filter.q))]
    if (filter.status !== undefined) ids.push(eventStatusCondition(filter.status))
    const found = await newest([...ids, ...below], page.limit + 1)
    // A search that found ids lists ids on every page. A continuation page that finds none either
    // ends such a listing or continues a body search: one probe without the cursor tells which.
    if (found.length || (before !== undefined && (await newest(ids, 1)).length)) return answer(found)
  }
  const body = filter.q === undefined ? [] : [bodyCondition(filter.q, db.dialect)]
  if (filter.status === undefined && !body.length)
    return answer(await newest([...filters, ...below], page.limit + 1))

  const limits = { ...DEFAULT_SCAN_BUDGET, ...budget }
  if (filter.status !== undefined) {
    const few = await eventsOfFewDeliveries(db, filter.status, limits.fewDeliveries)
    // With a body search, ordered by an expression: PostgreSQL would otherwise walk the primary
    // key backwards hoping to meet the LIMIT early (it guesses a third of bodies hold any text),
    // through every event when the text is nowhere: 1,237 ms at 1M events, 17.5 ms from the few
    // deliveries' events. Without one, its estimate of the set is right and the walk is quicker.
    const order = raw(body.length ? 'e.seq + 0' : 'e.seq')
    if (few)
      return answer(
        await db.all(
          sql`SELECT ${raw(SUMMARY_COLUMNS)} FROM events e ${where([...filters, few, ...body, ...below])}
            ORDER BY ${order} DESC LIMIT ${param(page.limit + 1)}`,
        ),
      )
  }
  const status = filter.status === undefined ? [] : [eventStatusCondition(filter.status)]
  const scan = await scanEvents(db, {
    filters,
    match: join([...status, ...body], ' AND '),
    before,
    want: page.limit + 1,
    budget: limits,
  })
  return scan.stoppedAt === undefined
    ? answer(scan.rows)
    : answer(scan.rows, { before: scan.stoppedAt, searchedBackTo: scan.searchedBackTo })
}
