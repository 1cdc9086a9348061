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
 * Events are immutable once stored (only the duplicate counter moves): what happens to them
 * afterwards is recorded on the deliveries that reference them.
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
  /** Things a human should notice, e.g. `unverified`, `timestamp_outside_window`. */
  flags: string[]
  /** GHL event name taken from a per-event URL (`/webhooks/ghl/InvoiceCreate`), for bodies without `type`. */
  eventHint: string | null
  /** Deliveries to create with the event (ignored for a duplicate). */
  deliveries: NewDelivery[]
}

/** A delivery planned at ingest: one subscriber that wants the event. */
export interface NewDelivery {
  id: string
  subscriberId: string
  /** Set for ordered subscribers: deliveries sharing it run one at a time, oldest event first. */
  orderingKey: string | null
  /** First due time, ms since the epoch. */
  runAt: number
}

export type InsertOutcome = { status: 'accepted'; eventId: string } | { status: 'duplicate'; eventId: string }

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

export type DeliveryState = import('./delivery-states.js').DeliveryState
export type AttemptOutcome = import('./delivery-states.js').AttemptOutcome

export interface Delivery {
  seq: number
  id: string
  eventId: string
  eventSeq: number
  subscriberId: string
  state: DeliveryState
  orderingKey: string | null
  /** Next due time (for a leased delivery: its lease expiry), ms. */
  runAt: number
  leaseOwner: string | null
  /**
   * Which cycle the delivery is in: 0 for the original, n after its n-th replay. An attempt is
   * numbered 1, 2, … within its cycle (ctx.attempt, the x-gateway-attempt header).
   */
  cycle: number
  /** Attempts in the current cycle: the number of the latest one (0 before the first). */
  attempts: number
  /** Attempts over every cycle. */
  totalAttempts: number
  cycleStartedAt: number
  lastError: string | null
  createdAt: number
  updatedAt: number
  completedAt: number | null
}

/** A delivery a worker holds, with the event it carries. */
export interface ClaimedDelivery extends Delivery {
  event: StoredEvent
}

export interface ClaimRequest {
  /** The claiming worker (lease owner). */
  worker: string
  now: number
  /** The lease lasts until now + leaseMs. */
  leaseMs: number
  /** How many deliveries each subscriber may take now (its free slots). */
  slots: readonly { subscriberId: string; limit: number }[]
}

export interface Attempt {
  id: string
  deliveryId: string
  /** 1, 2, … within its cycle: the `ctx.attempt` and `x-gateway-attempt` the attempt was given. */
  number: number
  /** The delivery's cycle when it ran: 0 for the original, n for its n-th replay. */
  cycle: number
  worker: string
  startedAt: number
  durationMs: number
  outcome: AttemptOutcome
  errorClass: string | null
  errorMessage: string | null
  errorStack: string | null
  /** What a destination answered: status, headers, the first bytes of the body. */
  response: Record<string, unknown> | null
}

/** The end of one attempt, reported by the lease holder. */
export interface AttemptResult {
  deliveryId: string
  worker: string
  attempt: Omit<Attempt, 'deliveryId' | 'worker' | 'outcome'>
  next:
    | { state: 'succeeded' }
    | { state: 'retry_scheduled'; runAt: number; error: string }
    | { state: 'dead'; error: string }
}

export interface DeliveryFilter {
  states?: readonly DeliveryState[]
  subscriberId?: string
  eventId?: string
  /** Canonical types of the event. */
  eventTypes?: readonly string[]
  tenantId?: string
  /** Substring of the last error. */
  error?: string
  /** Updated at or after, ms. */
  since?: number
  /** Updated before, ms. */
  until?: number
}

export interface DeliverySummary extends Delivery {
  /** The event's source. */
  source: string
  eventType: string | null
  eventName: string | null
  locationId: string | null
  companyId: string | null
}

export interface ProcessingStats {
  eventsLastHour: number
  attemptsLastHour: number
  succeededLastHour: number
  /** Attempts in the last hour after which their delivery went to the dead-letter queue. */
  deadLastHour: number
  /** Durations (ms) of up to the 10,000 newest attempts in the last hour. */
  recentDurationsMs: number[]
  openDeliveries: number
  deadDeliveries: number
  /** Due time of the oldest open delivery that is due, ms; null when nothing is waiting. */
  oldestDueAt: number | null
}

export interface MigrationReport {
  applied: string[]
  /** Migrations already in the database. */
  current: number
  /** Versions in the database this code does not know (a newer replica migrated first). */
  unknown: number[]
}

/** What `migrate()` would do, without doing it (`ghl-gateway doctor`). */
export interface MigrationStatus {
  /** Migrations already in the database. */
  current: number
  /** Migrations this code ships that the database lacks, as `NNNN_name`, in order. */
  pending: string[]
  /** Versions in the database this code does not know (a newer replica migrated first). */
  unknown: number[]
}

/**
 * What a caller may rely on about its store, stated by the store. Nothing above the Store interface
 * asks which database it has (test/layers.test.ts fails on `store.kind` outside src/store/): a
 * caller that behaves differently names the trait it depends on here.
 */
export interface StoreTraits {
  /** The database, as `/readyz` names it (`sqlite`, `postgres`). For display: decide by the traits below. */
  readonly name: string
  /**
   * Commits worth having in flight at once: 1 where a commit runs synchronously on this thread (a
   * second could not start before the first ends), 2 where a commit is a round trip another one can
   * hide behind.
   */
  readonly commitConcurrency: number
  /**
   * A write holds the database's only write lock, on this event loop, while it runs: long write
   * loops (retention) take small batches and pause between them, or webhooks wait behind them.
   */
  readonly exclusiveWrites: boolean
  /**
   * Several processes may share this store: a destination's rate limit is taken from the store
   * (`takeRateTokens`), not counted in each process.
   */
  readonly sharedRateLimits: boolean
  /** `announceWork` reaches other processes: worth calling after a commit that created deliveries. */
  readonly crossProcessWakeups: boolean
  /** WAL checkpoint counters for /metrics; undefined while the store has no checkpoint thread. */
  checkpointStats(): CheckpointStats | undefined
}

/** What the metrics read from a store that checkpoints its write-ahead log on a thread of its own. */
export interface CheckpointStats {
  /** WAL frames at the last checkpoint. */
  readonly walFrames: number
  readonly pauseMsTotal: number
  readonly failures: number
}

/** Where a destination was defined: the config file (read-only through the API) or the admin API. */
export type DestinationOrigin = 'config' | 'api'
/**
 * - active: matching events get deliveries, and they are sent.
 * - paused: matching events still get deliveries, none are sent (an operator, a 410 Gone, or an
 *   orphaned config destination: see `StoredDestination.orphanedAt`).
 * - disabled: `enabled: false` in the definition — no new deliveries, none sent.
 */
export type DestinationState = 'active' | 'paused' | 'disabled'

/** A destination as stored: what the admin API lists and what other processes reload. */
export interface StoredDestination {
  id: string
  origin: DestinationOrigin
  /**
   * API destinations: the document as given (secrets as given, `${ENV}` references unresolved).
   * Config destinations: the parsed definition with secrets redacted — each process runs them
   * from its own config file and environment.
   */
  definition: Record<string, unknown>
  state: DestinationState
  stateReason: string | null
  /**
   * Config destinations: when a process whose config file defines it last said so (at boot and at
   * each reload); null once that process stopped cleanly. Always null for API destinations.
   */
  configSeenAt: number | null
  /**
   * When this config destination was found orphaned — in no running process's config file — and
   * paused; null when it is not. It is never deleted for that: only explicitly (src/destinations/config-claims.ts).
   */
  orphanedAt: number | null
  createdAt: number
  updatedAt: number
}

export interface DestinationWrite {
  id: string
  origin: DestinationOrigin
  definition: Record<string, unknown>
  /** The definition's `enabled`: false makes the state `disabled`, true turns `disabled` back to `active`. */
  enabled: boolean
}

/** A running gateway process, as recorded by `heartbeat`. */
export interface GatewayInstance {
  /** `host:pid:startMs` — unique per process start. */
  id: string
  version: string
  startedAt: number
}

export interface Store {
  readonly traits: StoreTraits
  /** Where the data lives, safe to log (passwords removed). */
  readonly location: string
  migrate(): Promise<MigrationReport>
  /** Reads the applied migrations and compares them with this code's; applies nothing. */
  migrationStatus(): Promise<MigrationStatus>
  /**
   * Commits a batch of events in one transaction and reports, in order, whether each was new or a
   * duplicate of an existing `(source, dedupeKey)` (also within the batch). Resolves only after the
   * commit; rejects if nothing was committed.
   */
  insertEvents(events: readonly NewEvent[]): Promise<InsertOutcome[]>
  getEvent(id: string): Promise<StoredEvent | undefined>
  listEvents(filter: EventFilter, page: PageRequest): Promise<Page<EventSummary>>
  /** Work not yet done (open deliveries): the backlog back-pressure watches. */
  countBacklog(): Promise<number>

  /** Tells other gateway processes that deliveries may be due (PostgreSQL NOTIFY; SQLite: nothing). */
  announceWork(): Promise<void>
  /** Calls `onWork` when another process announces work; returns a function that stops listening. */
  listenForWork(onWork: () => void, onError: (error: Error) => void): () => Promise<void>

  // --- deliveries (src/deliver) ---
  /** Leases due deliveries (oldest first, at most `limit` per subscriber, ordered heads only). */
  claimDeliveries(request: ClaimRequest): Promise<ClaimedDelivery[]>
  /**
   * Records attempts and moves their deliveries on, in one transaction. A result whose lease is
   * no longer held by its worker changes nothing but its attempt (recorded as `lease_lost`);
   * the returned flags say which results were applied.
   */
  finishAttempts(results: readonly AttemptResult[], now: number): Promise<boolean[]>
  /** Puts leased, never-started deliveries back to pending (shutdown). Not an attempt. */
  releaseDeliveries(deliveryIds: readonly string[], worker: string, now: number): Promise<number>
  getDelivery(id: string): Promise<Delivery | undefined>
  /** The deliveries of one event, each with its attempts over every cycle, oldest first. */
  eventDeliveries(eventId: string): Promise<(Delivery & { attemptHistory: Attempt[] })[]>
  listDeliveries(filter: DeliveryFilter, page: PageRequest): Promise<Page<DeliverySummary>>
  /**
   * Starts a new cycle (the next `cycle`, state pending, due now, attempts 0) for the deliveries
   * matching the filter that are not open. Returns how many.
   */
  replayDeliveries(filter: DeliveryFilter, now: number, limit: number): Promise<number>
  /** Adds deliveries to an existing event (replaying it to a subscriber it never had). */
  addDeliveries(eventId: string, deliveries: readonly NewDelivery[], now: number): Promise<number>
  /** Dead → discarded. Returns how many. */
  discardDeliveries(filter: DeliveryFilter, now: number): Promise<number>
  /** ctx.once: the recorded result of `key` for a delivery, if any. */
  onceResult(deliveryId: string, key: string): Promise<{ found: boolean; result: unknown }>
  /** Records a result unless one exists; returns the one that is recorded (first writer wins). */
  recordOnce(deliveryId: string, key: string, result: unknown, now: number): Promise<unknown>
  processingStats(now: number): Promise<ProcessingStats>

  /**
   * Takes up to `want` whole tokens from the shared bucket `key` (refilled at `perSecond`, holding
   * at most `burst`), atomically across every process on this database; returns how many it got.
   * `now` is the caller's clock for SQLite; PostgreSQL uses its own.
   */
  takeRateTokens(
    key: string,
    want: number,
    limit: { perSecond: number; burst: number },
    now: number,
  ): Promise<number>

  // --- destinations (src/destinations/) ---
  listDestinations(): Promise<StoredDestination[]>
  getDestination(id: string): Promise<StoredDestination | undefined>
  /** Inserts a destination (state active, or disabled when not enabled); false when the id is taken. */
  insertDestination(destination: DestinationWrite, now: number): Promise<boolean>
  /** Replaces definition and origin; a pause is kept, `enabled` decides disabled ↔ active. False when missing. */
  replaceDestination(destination: DestinationWrite, now: number): Promise<boolean>
  /** Sets the state (only when the current one is in `from`, if given); false when nothing changed. */
  setDestinationState(
    id: string,
    state: DestinationState,
    reason: string | null,
    now: number,
    from?: readonly DestinationState[],
  ): Promise<boolean>
  /**
   * This process's config file defines `ids` (config destinations): records it (`configSeenAt =
   * now`) and un-orphans those that were orphaned, resuming the ones still paused with
   * `orphanReason` (a pause by an operator or a 410 stays). Returns the ids that were orphaned.
   */
  claimConfigDestinations(ids: readonly string[], now: number, orphanReason: string): Promise<string[]>
  /**
   * This process stops cleanly: its claims on `ids` end (`configSeenAt = null`) — only where its
   * own claim at `claimedAt` is the last one; a later claim is another live process's.
   */
  releaseConfigDestinations(ids: readonly string[], claimedAt: number): Promise<void>
  /**
   * Orphans every config destination not orphaned yet that no process has claimed since
   * `seenBefore` (or since it was released): sets `orphanedAt` and pauses the active ones with
   * `reason`. Returns the ids it orphaned, in id order.
   */
  orphanConfigDestinations(seenBefore: number, now: number, reason: string): Promise<string[]>
  /** How many open deliveries each of `subscriberIds` has (ids with none are absent). */
  countOpenDeliveries(subscriberIds: readonly string[]): Promise<Map<string, number>>
  /**
   * Deletes an API destination or an orphaned config one — never a config destination a running
   * process defines — and, in the same transaction, dead-letters its open deliveries with `reason`
   * as their last error (replayable if it comes back). Nothing is silently dropped.
   */
  deleteDestination(
    id: string,
    now: number,
    reason: string,
  ): Promise<{ deleted: boolean; deadLettered: number }>
  /**
   * Deletes up to `limit` events received before `before` whose deliveries are all succeeded or
   * discarded (dead ones are kept until replayed or purged), with their deliveries and attempts.
   */
  pruneEvents(before: number, limit: number): Promise<number>
  /**
   * Proves the database takes writes: records this process as alive (one tiny upsert). Rejects
   * when the disk is full, the database is read-only (e.g. a replica after failover) or down.
   */
  heartbeat(instance: GatewayInstance): Promise<void>
  /** True for errors that mean "the database cannot take writes right now" (disk full, down, read-only). */
  isUnavailableError(error: unknown): boolean
  close(): Promise<void>
}
