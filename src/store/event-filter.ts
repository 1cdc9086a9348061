import { decodeCursor } from './cursor.js'
import type { EventFilter, PageRequest } from './types.js'

/** One condition of an event listing; each store renders its own placeholders. */
export interface Condition {
  sql: (placeholder: (value: unknown) => string) => string
}

/**
 * The WHERE conditions for `listEvents`, shared by both stores. `time` converts an epoch-ms bound
 * to what the store's `received_at` column holds.
 */
export function eventConditions(
  filter: EventFilter,
  page: PageRequest,
  time: (ms: number) => unknown,
): Condition[] {
  const conditions: Condition[] = []
  const equals = (column: string, value: unknown) => {
    if (value !== undefined) conditions.push({ sql: (p) => `${column} = ${p(value)}` })
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
    conditions.push({ sql: (p) => `dedupe_key = ${p(webhookId)} AND webhook_id = ${p(webhookId)}` })
  }
  if (filter.tenantId !== undefined) {
    const tenant = filter.tenantId
    conditions.push({ sql: (p) => `(location_id = ${p(tenant)} OR company_id = ${p(tenant)})` })
  }
  if (filter.schemaStatus !== undefined && ['valid', 'drift', 'unknown'].includes(filter.schemaStatus)) {
    // A literal, so SQLite can use the partial index on drifted and unknown events.
    const status = filter.schemaStatus
    conditions.push({ sql: () => `schema_status = '${status}'` })
  }
  if (filter.eventTypes !== undefined) {
    const types = filter.eventTypes
    conditions.push({ sql: (p) => (types.length ? `event_type IN (${types.map(p).join(', ')})` : 'FALSE') })
  }
  if (filter.since !== undefined) {
    const since = time(filter.since)
    conditions.push({ sql: (p) => `received_at >= ${p(since)}` })
  }
  if (filter.until !== undefined) {
    const until = time(filter.until)
    conditions.push({ sql: (p) => `received_at < ${p(until)}` })
  }
  const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
  if (before !== undefined) conditions.push({ sql: (p) => `seq < ${p(before)}` })
  return conditions
}

/** Renders conditions with a placeholder style, collecting the values in order. */
export function renderWhere(
  conditions: Condition[],
  style: 'question' | 'dollar',
): { where: string; values: unknown[] } {
  const values: unknown[] = []
  const placeholder = (value: unknown) => {
    values.push(value)
    return style === 'question' ? '?' : `$${values.length}`
  }
  const parts = conditions.map((c) => c.sql(placeholder))
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', values }
}
