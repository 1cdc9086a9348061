/**
 * The Store: the only place events become durable. Two implementations (SQLite, PostgreSQL) pass
 * one conformance suite (`conformance.test.ts`); nothing above this interface knows which it has.
 *
 * Terminology used everywhere:
 * - source: who sent a webhook (`ghl` built in; others from the config file).
 * - event: one accepted webhook request, stored with its raw bytes. Ids `evt_<ulid>`.
 * - dedupe key: the sender's event id (GHL `webhookId`, Standard Webhooks `webhook-id`, …) or,
 *   when the sender gives none, `sha256:<hash of the raw body>`. Unique per source.
 *
 * Event status (the ingest half of the pipeline; deliveries have their own state machine):
 *
 *   received ──(classified + fanned out, off the ack path)──▶ dispatched
 *
 * `received` rows are the backlog that back-pressure counts. A crash between the ack and the
 * dispatch leaves the row `received`, and it is picked up again at the next start.
 */

export const EVENT_STATUSES = ['received', 'dispatched'] as const
export type EventStatus = (typeof EVENT_STATUSES)[number]

export interface Verification {
  /** Scheme used (`ghl-ed25519`, `hmac-sha256`, …) or `none`. */
  scheme: string
  verified: boolean
  /** Matching key or secret id (never the secret). */
  keyId?: string
  /** Why verification failed, when the source accepts unverified events (GHL_SIGNATURE_MODE=off). */
  failure?: string
}

/** What the receive stage hands to the store; everything is known before the commit. */
export interface NewEvent {
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
  ghlType: string | null
  locationId: string | null
  companyId: string | null
  /** The sender's own event time (GHL body `timestamp`, or a signed timestamp header), ISO text. */
  sentAt: string | null
  /** Things a human should notice, e.g. `unverified`, `timestamp_outside_window`. */
  flags: string[]
  /** GHL event name taken from a per-event URL (`/webhooks/ghl/InvoiceCreate`), for bodies without `type`. */
  eventHint: string | null
}

export type InsertOutcome = { status: 'accepted'; eventId: string } | { status: 'duplicate'; eventId: string }

export interface StoredEvent extends NewEvent {
  seq: number
  bodyBytes: number
  status: EventStatus
  duplicateCount: number
  lastDuplicateAt: number | null
}

/** A list row: everything but the body and headers. */
export type EventSummary = Omit<StoredEvent, 'rawBody' | 'headers'>

export interface EventFilter {
  source?: string
  ghlType?: string
  locationId?: string
  companyId?: string
  webhookId?: string
  status?: EventStatus
  /** ms since the epoch, inclusive. */
  since?: number
  /** ms since the epoch, exclusive. */
  until?: number
}

export interface PageRequest {
  limit: number
  /** Opaque cursor from a previous page. */
  cursor?: string
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

export interface MigrationReport {
  applied: string[]
  /** Migrations already in the database. */
  current: number
  /** Versions in the database this code does not know (a newer replica migrated first). */
  unknown: number[]
}

export type StoreKind = 'sqlite' | 'postgres'

export interface Store {
  readonly kind: StoreKind
  /** Where the data lives, safe to log (passwords removed). */
  readonly location: string
  migrate(): Promise<MigrationReport>
  /**
   * Commits a batch of events in one transaction and reports, in order, whether each was new or a
   * duplicate of an existing `(source, dedupeKey)` (also within the batch). Resolves only after the
   * commit; rejects if nothing was committed.
   */
  insertEvents(events: readonly NewEvent[]): Promise<InsertOutcome[]>
  getEvent(id: string): Promise<StoredEvent | undefined>
  listEvents(filter: EventFilter, page: PageRequest): Promise<Page<EventSummary>>
  /** Events not yet dispatched: the backlog back-pressure watches. */
  countBacklog(): Promise<number>
  /** Cheap round trip proving the database answers. */
  ping(): Promise<void>
  /** True for errors that mean "the database cannot take writes right now" (disk full, down, read-only). */
  isUnavailableError(error: unknown): boolean
  close(): Promise<void>
}
