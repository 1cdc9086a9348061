import type { StoredEvent } from './event-store.js'
import type { Page, PageRequest } from './page.js'

/**
 * Deliveries: one (event, subscriber) pair each, moved through the state machine of
 * delivery-states.ts by the lease holder; attempts: every run of a delivery, kept over its cycles.
 */

/** A delivery planned at ingest: one subscriber that wants the event. */
export interface NewDelivery {
  id: string
  subscriberId: string
  /** Set for ordered subscribers: deliveries sharing it run one at a time, oldest event first. */
  orderingKey: string | null
  /** First due time, ms since the epoch. */
  runAt: number
  /**
   * Stored already leased to this worker, which runs it as soon as the event is committed (the
   * worker's `leaseAtIngest`): no claim statement for a delivery a free slot can take at once.
   */
  lease?: { owner: string; until: number }
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

/**
 * A delivery a worker holds, with the event it carries. (Its row's `seq` is left out: a delivery
 * leased at ingest never read its row back, and nothing that runs an attempt needs it.)
 */
export interface ClaimedDelivery extends Omit<Delivery, 'seq'> {
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
  /** The OpenTelemetry trace the attempt ran in (observe/tracing.ts); null without one. */
  traceId: string | null
}

/** One of a destination's recent attempts (`recentSubscriberAttempts`): no stack, no saved body. */
export interface RecentAttempt {
  id: string
  deliveryId: string
  eventId: string
  number: number
  cycle: number
  startedAt: number
  durationMs: number
  outcome: AttemptOutcome
  /** The HTTP status the destination answered, or null (no answer, or a handler). */
  status: number | null
  errorClass: string | null
  errorMessage: string | null
}

/** The end of one attempt, reported by the lease holder. */
export interface AttemptResult {
  deliveryId: string
  worker: string
  attempt: Omit<Attempt, 'deliveryId' | 'worker' | 'outcome' | 'traceId'> & { traceId?: string | null }
  next:
    | { state: 'succeeded' }
    | {
        state: 'retry_scheduled'
        runAt: number
        error: string
        /**
         * A wait, not a failure (GHL's rate limit): the store gives back the attempt the claim
         * counted (`attempts` - 1), so the next run has the same number. Still in the attempt log.
         */
        deferred?: true
      }
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
  /** The error fingerprint a delivery got when it died (error-fingerprint.ts). */
  fingerprint?: string
  /** A range of `seq`, (seqAfter, seqThrough]: one batch of a bulk job. */
  seqAfter?: number
  seqThrough?: number
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

/** Equal buckets of time: `buckets` of `bucketMs` each, the first starting at `start` (epoch ms). */
export interface StatsRange {
  start: number
  bucketMs: number
  buckets: number
}

/** The console's charts over a StatsRange: one number per bucket in each array. */
export interface StatsSeries extends StatsRange {
  /** Events received in the bucket. */
  received: number[]
  /** Attempts that succeeded, by start time. */
  delivered: number[]
  /** Attempts that failed (retried or dead-lettered after it), by start time. */
  failed: number[]
  /** Open deliveries at the end of the bucket (see stats-series.ts for what history can tell). */
  backlog: number[]
  /** Dead-letter queue size at the end of the bucket (same). */
  dead: number[]
}

export interface DeliveryStore {
  /** Work not yet done (open deliveries): the backlog back-pressure watches. */
  countBacklog(): Promise<number>

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
  /**
   * A subscriber's most recent attempts, newest first: at most `limit`, found among the gateway's
   * last `scan` attempts (a bounded read: src/store/sql/recent-subscriber-attempts.ts says why).
   */
  recentSubscriberAttempts(subscriberId: string, limit: number, scan: number): Promise<RecentAttempt[]>
  /** Adds deliveries to an existing event (replaying it to a subscriber it never had). */
  addDeliveries(eventId: string, deliveries: readonly NewDelivery[], now: number): Promise<number>
  /** Dead → discarded. Returns how many. */
  discardDeliveries(filter: DeliveryFilter, now: number): Promise<number>
  /** ctx.once: the recorded result of `key` for a delivery, if any. */
  onceResult(deliveryId: string, key: string): Promise<{ found: boolean; result: unknown }>
  /** Records a result unless one exists; returns the one that is recorded (first writer wins). */
  recordOnce(deliveryId: string, key: string, result: unknown, now: number): Promise<unknown>
  processingStats(now: number): Promise<ProcessingStats>
  /** The console's charts: received, delivered, failed, backlog and DLQ size per bucket. */
  statsSeries(range: StatsRange): Promise<StatsSeries>
}
