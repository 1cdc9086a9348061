import { GatewayError } from '../errors.js'
import type { Dialect } from './sql/dialect.js'
import { join, param, raw, type Sql, sql } from './sql/sql.js'
import type { EventFilter } from './types.js'

/**
 * The WHERE conditions of `listEvents` on `events e`, shared by both stores. Two kinds: the
 * indexed filters (`eventConditions`, each with an index in 0001_events.sql), which any statement
 * may use, and the conditions that test each event — the raw body search and the delivery status
 * (`scanCondition`) — which only the bounded scan (sql/scan-events.ts) runs.
 */

/** The longest `q`: ids are ≤ 64 characters; a longer text is not a search anyone types. */
export const MAX_SEARCH_LENGTH = 200

/** `time` converts an epoch-ms bound to what the store's `received_at` column holds. */
export function eventConditions(filter: EventFilter, time: (ms: number) => unknown): Sql[] {
  const conditions: Sql[] = []
  const equals = (column: string, value: unknown) => {
    if (value !== undefined) conditions.push(sql`${raw(`e.${column}`)} = ${param(value)}`)
  }
  equals('source', filter.source)
  equals('ghl_type', filter.ghlType)
  equals('event_name', filter.eventName)
  equals('entity_id', filter.entityId)
  equals('location_id', filter.locationId)
  equals('company_id', filter.companyId)
  // The dedupe key of an event with a sender id is that id: the unique (dedupe_key, source) index
  // finds it; webhook_id itself has no index of its own.
  if (filter.webhookId !== undefined) {
    const webhookId = filter.webhookId
    conditions.push(sql`e.dedupe_key = ${param(webhookId)} AND e.webhook_id = ${param(webhookId)}`)
  }
  if (filter.tenantId !== undefined) {
    const tenant = filter.tenantId
    conditions.push(sql`(e.location_id = ${param(tenant)} OR e.company_id = ${param(tenant)})`)
  }
  if (filter.schemaStatus !== undefined && ['valid', 'drift', 'unknown'].includes(filter.schemaStatus)) {
    // Literals, and for drifted and unknown events the partial index's own `WHERE` repeated:
    // SQLite uses a partial index only when the query's terms imply its `WHERE`, and it does not
    // see that `= 'drift'` implies `IN ('drift', 'unknown')` (1M events: 11 ms scanning newest
    // first → see docs/benchmarks.md, "Event list at 1,000,000 events").
    const status = filter.schemaStatus
    conditions.push(
      raw(
        status === 'valid'
          ? `e.schema_status = 'valid'`
          : `e.schema_status IN ('drift', 'unknown') AND e.schema_status = '${status}'`,
      ),
    )
  }
  if (filter.eventTypes !== undefined) {
    const types = filter.eventTypes
    conditions.push(types.length ? sql`e.event_type IN (${join(types.map(param), ', ')})` : raw('FALSE'))
  }
  if (filter.since !== undefined) {
    const since = time(filter.since)
    conditions.push(sql`e.received_at >= ${param(since)}`)
  }
  if (filter.until !== undefined) {
    const until = time(filter.until)
    conditions.push(sql`e.received_at < ${param(until)}`)
  }
  return conditions
}

/** `q` as it is searched: trimmed (ids are pasted with spaces around them), checked. */
export function searchText(q: string): string {
  const text = q.trim()
  if (text.length === 0 || text.length > MAX_SEARCH_LENGTH)
    throw new GatewayError(
      'invalid_request',
      `invalid query: q: the search text must be 1 to ${MAX_SEARCH_LENGTH} characters (got ${text.length})`,
    )
  return text
}

/**
 * The events that have `q` as an id: their own, a delivery's, the dedupe key (the sender's
 * webhookId), the entity's. Each alternative is an index lookup (`events.id` unique,
 * `(dedupe_key, source)` unique, `events_entity`, `deliveries.id` unique).
 */
export function idCondition(q: string): Sql {
  const id = param(q)
  // The delivery's event as a scalar subquery (run once; delivery ids are unique), not `IN (…)`:
  // inside an OR, PostgreSQL cannot turn IN into an index lookup and scans the table instead.
  return sql`(e.id = ${id} OR e.dedupe_key = ${id} OR e.entity_id = ${id}
    OR e.id = (SELECT d.event_id FROM deliveries d WHERE d.id = ${id}))`
}

/** The raw body holds `q`'s bytes: tested on each event a statement examines. */
export function bodyCondition(q: string, dialect: Dialect): Sql {
  return dialect.bytesContain(raw('e.raw_body'), param(Buffer.from(searchText(q))))
}
