import type { NewDelivery } from './delivery-store.js'
import type { DeliveryCounts, EventDeliveryStatus } from './event-delivery-status.js'
import type { Page, PageRequest } from './page.js'

/**
 * Events: one accepted webhook request each, stored with its raw bytes before the sender gets its
 * 2xx. Immutable once stored (only the duplicate counter moves): what happens to an event afterwards
 * is recorded on the deliveries that reference it (delivery-store.ts).
 */

export interface Verification {
  /** Scheme used (`ghl-ed25519`, `hmac-sha256`, …) or `none`. */
  scheme: string
  verified: boolean
  /** Matching key or secret id (never the secret). */
  keyId?: string
  /** Why verification failed, when the source accepts unverified events (GHL_SIGNATURE_MODE=off). */
  failure?: string
}

/** What the catalog found out about a body (null everywhere for sources without a catalog). */
export interface EventClassification {
  /** The body's raw `type` field. */
  ghlType: string | null
  /** GHL doc name (`ContactCreate`) or `unknown`; null for non-GHL sources. */
  eventName: string | null
  /** Canonical name before renames (`contact.created`), `unknown`, or the type a source reports. */
  eventType: string | null
  entityKind: string | null
  entityId: string | null
  locationId: string | null
  companyId: string | null
  /** The sender's own send time (GHL body `timestamp`, or a signed timestamp header), ISO text. */
  sentAt: string | null
  /** When it happened according to the body, ISO text. */
  occurredAt: string | null
  /** `flat`, `data-wrapped`, `array`, `form`. */
  bodyFormat: string | null
  /** `valid`, `drift` (identified, but the documented schema no longer fits), `unknown`; null when not checked. */
  schemaStatus: 'valid' | 'drift' | 'unknown' | null
  /** How it was classified and what a human should know: `{ matchedBy, family, issues, notes }`. */
  classification: ClassificationDetails | null
}

export interface ClassificationDetails {
  matchedBy: string
  family: string | null
  issues: { path: string; message: string }[]
  notes: string[]
}

/** What the receive stage hands to the store; everything is known before the commit. */
export interface NewEvent extends EventClassification {
  id: string
  source: string
  dedupeKey: string
  webhookId: string | null
  /** ms since the epoch. */
  receivedAt: number
  contentType: string
  /** Headers worth keeping; credentials replaced by fingerprints. */
  headers: Record<string, string>
  rawBody: Buffer
  /** `sha256:<hex>` of the raw body. */
  contentHash: string
  verification: Verification
  /** Things a human should notice, e.g. `unverified`, `timestamp_outside_window`, `location_uninstalled`. */
  flags: string[]
  /** GHL event name taken from a per-event URL (`/webhooks/ghl/InvoiceCreate`), for bodies without `type`. */
  eventHint: string | null
  /**
   * The W3C `traceparent` of the span that received it (or the sender's own, with no tracing SDK):
   * attempt spans link to it, destinations get it when no SDK is registered. Absent: none.
   */
  traceParent?: string | null
  /**
   * The W3C `tracestate` that came with `traceParent` (the ingest span's; the sender's with no SDK):
   * destinations get it next to the traceparent, and a first attempt span inherits it. Absent: none.
   */
  traceState?: string | null
  /** Deliveries to create with the event (ignored for a duplicate). */
  deliveries: NewDelivery[]
}

/** `seq` of an accepted event: its receive order, which a delivery leased at ingest carries. */
export type InsertOutcome =
  | { status: 'accepted'; eventId: string; seq: number }
  | { status: 'duplicate'; eventId: string }

export interface StoredEvent extends Omit<NewEvent, 'deliveries'> {
  seq: number
  bodyBytes: number
  duplicateCount: number
  lastDuplicateAt: number | null
}

/** A list row: everything but the body and headers. */
export type EventSummary = Omit<StoredEvent, 'rawBody' | 'headers'>

export interface EventFilter {
  source?: string
  ghlType?: string
  eventName?: string
  /** Canonical types; any of them matches (a renamed type can stand for several). */
  eventTypes?: readonly string[]
  entityId?: string
  locationId?: string
  companyId?: string
  /** Either tenant id: the location or the company. */
  tenantId?: string
  webhookId?: string
  schemaStatus?: 'valid' | 'drift' | 'unknown'
  /** ms since the epoch, inclusive. */
  since?: number
  /** ms since the epoch, exclusive. */
  until?: number
  /**
   * Text search (at most MAX_SEARCH_LENGTH characters): the events with this id — event, delivery,
   * dedupe key (the sender's webhookId), entity — or, when no event has it, the events whose raw
   * body holds these bytes, searched newest first within a budget (sql/scan-events.ts).
   */
  q?: string
  /** The events with this delivery status (event-delivery-status.ts); searched within the budget too. */
  status?: EventDeliveryStatus
}

/** A list row with what became of its deliveries. */
export interface ListedEvent extends EventSummary {
  deliveryCounts: DeliveryCounts
}

export interface EventPage extends Page<ListedEvent> {
  /**
   * Set when the search budget ran out before the page was full: the receive time (ms) of the
   * oldest event examined. Older events were not looked at; `nextCursor` continues below it.
   * Null when the page is complete (full, or nothing older is left).
   */
  searchedBackTo: number | null
}

/**
 * How much a search or status filter examines per request: seq numbers (≈ events), in statements
 * of `chunk`, started within `ms`. The defaults are measured (sql/scan-events.ts); tests and
 * benchmarks pass their own.
 */
export interface ScanBudget {
  /** Events (seq numbers) one statement covers. */
  chunk: number
  /** Events (seq numbers) one request covers. */
  rows: number
  /** No new statement starts after this many milliseconds. */
  ms: number
  /**
   * `status=failed|pending` reads the dead or open deliveries directly, without a budget, while
   * there are at most this many (sql/status-from-deliveries.ts).
   */
  fewDeliveries: number
}

/** A page of one entity's events (its classification's `entityKind` and `entityId`). */
export interface EntityEventsRequest {
  entityKind: string
  entityId: string
  /** From this sequence number on (inclusive); from the first event when undefined. */
  fromSeq?: number
  limit: number
}

/** Traffic of one stored event type (sql/event-type-stats.ts). */
export interface EventTypeStats {
  /** The stored type (for GHL: the canonical name before renames). */
  eventType: string
  /** When the newest event of this type was received (ms), at any time; null when none is stored. */
  lastSeenAt: number | null
  /** Events received in the last 24 hours, counted up to VOLUME_COUNT_LIMIT (sql/event-type-stats.ts). */
  lastDay: number
  /** Events received in the last 7 days, counted up to VOLUME_COUNT_LIMIT. */
  lastWeek: number
  /** Of those, how many drifted from the documented schema (see `driftLimitReached`). */
  driftLastWeek: number
}

export interface EventTypeStatsAnswer {
  /** One per requested type, in no particular order. */
  types: EventTypeStats[]
  /** Counts stop here (VOLUME_COUNT_LIMIT): a count equal to it means at least that many. */
  countLimit: number
  /** The week held more drifted events than one call reads: the drift counts are lower bounds. */
  driftLimitReached: boolean
}

export interface EventStore {
  /**
   * Commits a batch of events in one transaction and reports, in order, whether each was new or a
   * duplicate of an existing `(source, dedupeKey)` (also within the batch). Resolves only after the
   * commit; rejects if nothing was committed.
   */
  insertEvents(events: readonly NewEvent[]): Promise<InsertOutcome[]>
  getEvent(id: string): Promise<StoredEvent | undefined>
  /**
   * Newest first, with delivery counts. A `q` that is no id, and `status`, examine at most
   * `budget.rows` events per call (see EventPage.searchedBackTo). Rejects a `q` longer than
   * MAX_SEARCH_LENGTH, or empty, with `invalid_request`.
   */
  listEvents(filter: EventFilter, page: PageRequest, budget?: Partial<ScanBudget>): Promise<EventPage>
  /** One entity's events with bodies, oldest first (receive order): the entity timeline. */
  entityEvents(request: EntityEventsRequest): Promise<StoredEvent[]>
  /**
   * Traffic per stored event type, all the given types in one bounded statement: last seen, the
   * last 24 h and 7 d, drift in the last 7 d. `now` is ms since the epoch.
   */
  eventTypeStats(eventTypes: readonly string[], now: number): Promise<EventTypeStatsAnswer>
  /**
   * Deletes up to `limit` events received before `before` whose deliveries are all succeeded or
   * discarded (dead ones are kept until replayed or purged), with their deliveries and attempts.
   */
  pruneEvents(before: number, limit: number): Promise<number>
}
