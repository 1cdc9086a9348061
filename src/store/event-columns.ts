import type { EventSummary, NewEvent, StoredEvent } from './types.js'

/**
 * The `events` columns written at insert, in one list both stores derive their INSERT from, so a
 * new column is added in one place (plus each store's migration). `kind` tells each store how to
 * encode the value for its driver.
 */
type Kind = 'text' | 'int' | 'bool' | 'json' | 'bytes' | 'time'

interface Column {
  name: string
  kind: Kind
  get: (event: NewEvent) => unknown
}

export const INSERT_COLUMNS: readonly Column[] = [
  { name: 'id', kind: 'text', get: (e) => e.id },
  { name: 'source', kind: 'text', get: (e) => e.source },
  { name: 'dedupe_key', kind: 'text', get: (e) => e.dedupeKey },
  { name: 'webhook_id', kind: 'text', get: (e) => e.webhookId },
  { name: 'received_at', kind: 'time', get: (e) => e.receivedAt },
  { name: 'content_type', kind: 'text', get: (e) => e.contentType },
  { name: 'headers', kind: 'json', get: (e) => e.headers },
  { name: 'raw_body', kind: 'bytes', get: (e) => e.rawBody },
  { name: 'body_bytes', kind: 'int', get: (e) => e.rawBody.length },
  { name: 'content_hash', kind: 'text', get: (e) => e.contentHash },
  { name: 'verified', kind: 'bool', get: (e) => e.verification.verified },
  { name: 'verification', kind: 'json', get: (e) => e.verification },
  { name: 'flags', kind: 'json', get: (e) => (e.flags.length ? e.flags : null) },
  { name: 'event_hint', kind: 'text', get: (e) => e.eventHint },
  { name: 'ghl_type', kind: 'text', get: (e) => e.ghlType },
  { name: 'event_name', kind: 'text', get: (e) => e.eventName },
  { name: 'event_type', kind: 'text', get: (e) => e.eventType },
  { name: 'entity_kind', kind: 'text', get: (e) => e.entityKind },
  { name: 'entity_id', kind: 'text', get: (e) => e.entityId },
  { name: 'location_id', kind: 'text', get: (e) => e.locationId },
  { name: 'company_id', kind: 'text', get: (e) => e.companyId },
  { name: 'sent_at', kind: 'text', get: (e) => e.sentAt },
  { name: 'occurred_at', kind: 'text', get: (e) => e.occurredAt },
  { name: 'body_format', kind: 'text', get: (e) => e.bodyFormat },
  { name: 'schema_status', kind: 'text', get: (e) => e.schemaStatus },
  { name: 'classification', kind: 'json', get: (e) => e.classification },
  { name: 'trace_parent', kind: 'text', get: (e) => e.traceParent ?? null },
  { name: 'trace_state', kind: 'text', get: (e) => e.traceState ?? null },
]

/** Columns of a list row (no body, no headers). */
export const SUMMARY_COLUMNS = [
  'seq',
  ...INSERT_COLUMNS.map((c) => c.name).filter((name) => name !== 'raw_body' && name !== 'headers'),
  'duplicate_count',
  'last_duplicate_at',
].join(', ')

/** Columns of a whole event: a list row plus its headers and raw body. */
export const EVENT_COLUMNS = `${SUMMARY_COLUMNS}, headers, raw_body`

type Row = Record<string, unknown>

/** How a store's driver hands back JSON and times. */
export interface RowDecoding {
  json: (value: unknown) => unknown
  time: (value: unknown) => number
}

export function rowToSummary(row: Row, decode: RowDecoding): EventSummary {
  const json = <T>(value: unknown, fallback: T): T =>
    value === null || value === undefined ? fallback : (decode.json(value) as T)
  return {
    seq: Number(row.seq),
    id: row.id as string,
    source: row.source as string,
    dedupeKey: row.dedupe_key as string,
    webhookId: row.webhook_id as string | null,
    receivedAt: decode.time(row.received_at),
    contentType: row.content_type as string,
    bodyBytes: row.body_bytes as number,
    contentHash: row.content_hash as string,
    verification: json(row.verification, { scheme: 'none', verified: false }),
    flags: json(row.flags, []),
    eventHint: row.event_hint as string | null,
    ghlType: row.ghl_type as string | null,
    eventName: row.event_name as string | null,
    eventType: row.event_type as string | null,
    entityKind: row.entity_kind as string | null,
    entityId: row.entity_id as string | null,
    locationId: row.location_id as string | null,
    companyId: row.company_id as string | null,
    sentAt: row.sent_at as string | null,
    occurredAt: row.occurred_at as string | null,
    bodyFormat: row.body_format as string | null,
    schemaStatus: row.schema_status as EventSummary['schemaStatus'],
    classification: json(row.classification, null),
    traceParent: (row.trace_parent as string | null | undefined) ?? null,
    traceState: (row.trace_state as string | null | undefined) ?? null,
    duplicateCount: row.duplicate_count as number,
    lastDuplicateAt: row.last_duplicate_at === null ? null : decode.time(row.last_duplicate_at),
  }
}

export function rowToEvent(row: Row, decode: RowDecoding): StoredEvent {
  return {
    ...rowToSummary(row, decode),
    headers: decode.json(row.headers) as Record<string, string>,
    rawBody: row.raw_body as Buffer,
  }
}

/** The stored form of an event this process just committed, without reading it back. */
export function storedFromNew(event: NewEvent, seq: number): StoredEvent {
  const { deliveries: _deliveries, ...fields } = event
  return {
    ...fields,
    traceParent: event.traceParent ?? null,
    traceState: event.traceState ?? null,
    seq,
    bodyBytes: event.rawBody.length,
    duplicateCount: 0,
    lastDuplicateAt: null,
  }
}
