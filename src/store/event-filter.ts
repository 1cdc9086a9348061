import { decodeCursor } from './cursor.js'
import { join, param, raw, type Sql, sql } from './sql/sql.js'
import type { EventFilter, PageRequest } from './types.js'

/**
 * The WHERE conditions for `listEvents`, shared by both stores. `time` converts an epoch-ms bound
 * to what the store's `received_at` column holds.
 */
export function eventConditions(
  filter: EventFilter,
  page: PageRequest,
  time: (ms: number) => unknown,
): Sql[] {
  const conditions: Sql[] = []
  const equals = (column: string, value: unknown) => {
    if (value !== undefined) conditions.push(sql`${raw(column)} = ${param(value)}`)
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
    conditions.push(sql`dedupe_key = ${param(webhookId)} AND webhook_id = ${param(webhookId)}`)
  }
  if (filter.tenantId !== undefined) {
    const tenant = filter.tenantId
    conditions.push(sql`(location_id = ${param(tenant)} OR company_id = ${param(tenant)})`)
  }
  if (filter.schemaStatus !== undefined && ['valid', 'drift', 'unknown'].includes(filter.schemaStatus)) {
    // A literal, so SQLite can use the partial index on drifted and unknown events.
    const status = filter.schemaStatus
    conditions.push(raw(`schema_status = '${status}'`))
  }
  if (filter.eventTypes !== undefined) {
    const types = filter.eventTypes
    conditions.push(types.length ? sql`event_type IN (${join(types.map(param), ', ')})` : raw('FALSE'))
  }
  if (filter.since !== undefined) {
    const since = time(filter.since)
    conditions.push(sql`received_at >= ${param(since)}`)
  }
  if (filter.until !== undefined) {
    const until = time(filter.until)
    conditions.push(sql`received_at < ${param(until)}`)
  }
  const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
  if (before !== undefined) conditions.push(sql`seq < ${param(before)}`)
  return conditions
}
