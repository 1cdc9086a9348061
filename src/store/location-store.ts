import type { Page } from './page.js'

/**
 * Locations: the GHL tenants the stored events name — a sub-account (`locationId`) or an agency
 * (`companyId`) — read from the events' tenant columns; nothing is written for them. Every read is
 * bounded: tenants are paged by id, volumes are counted up to a cap, error rates are taken over a
 * tenant's newest events, blocked lanes over a bounded number of retrying deliveries.
 */

export type TenantKind = 'location' | 'company'

/** How much one tenant's numbers may cost (the defaults in sql/tenant-stats.ts are measured). */
export interface TenantStatsLimits {
  /** Volume is counted up to this many events; more reads as `volumeCapped`. */
  volumeCap: number
  /** The error rate is taken over the deliveries of at most this many of the newest events. */
  errorSample: number
}

export interface TenantStats {
  kind: TenantKind
  id: string
  /** Events of the tenant received at or after `since`, counted up to the cap. */
  volume: number
  /** True when there are more than `volume` events in the window (the count stopped at the cap). */
  volumeCapped: boolean
  /** When its newest stored event was received (ms); null when none is stored. */
  lastSeenAt: number | null
  /** The id of that event. */
  lastEventId: string | null
  /** Deliveries of the sampled events (the tenant's newest ≤ errorSample events in the window). */
  sampledDeliveries: number
  /** Of those, the ones that failed: retry_scheduled, dead or discarded. */
  failedDeliveries: number
  /** How many events the error rate was taken over. */
  sampledEvents: number
}

export interface LocationQuery {
  /** ms since the epoch: the window's start for volume and error rate. */
  since: number
  limit: number
  /** Start at this id (in the database's text order), inclusive. */
  from?: string
  /** Opaque cursor from a previous page. */
  cursor?: string
}

/**
 * An ordered lane that cannot move: the oldest open delivery of one (subscriber, entity) failed and
 * waits for its retry while later deliveries of the same entity wait behind it.
 */
export interface BlockedLane {
  subscriberId: string
  orderingKey: string
  entityKind: string | null
  entityId: string | null
  /** The head: the delivery that holds the lane, and its event. */
  deliveryId: string
  eventId: string
  eventName: string | null
  eventType: string | null
  state: 'retry_scheduled'
  /** Attempts in its current cycle. */
  attempts: number
  lastError: string | null
  /** Its next retry (ms). */
  nextAttemptAt: number
  /** Its first attempt of the current cycle started (ms): the lane has been failing since then. */
  failingSince: number | null
  /** Open deliveries of the same lane behind the head, counted up to the cap. */
  waiting: number
  waitingCapped: boolean
}

export interface BlockedLanes {
  lanes: BlockedLane[]
  /**
   * True when the scan stopped before looking at every retrying ordered delivery (the examine
   * budget): there may be more blocked lanes than listed.
   */
  truncated: boolean
}

/** How much one blocked-lanes read may look at (the defaults in sql/blocked-lanes.ts). */
export interface BlockedLanesBudget {
  /** Retrying ordered deliveries examined, oldest first. */
  examine: number
  /** Deliveries waiting behind a head are counted up to this many. */
  waitingCap: number
}

export interface LocationStore {
  /** Tenants in id order (locations, then companies), each with its numbers over the window. */
  listLocations(query: LocationQuery, limits?: Partial<TenantStatsLimits>): Promise<Page<TenantStats>>
  /** One id's numbers as a location and as a company (only the kinds with stored events). */
  getLocation(id: string, since: number, limits?: Partial<TenantStatsLimits>): Promise<TenantStats[]>
  /** The blocked ordered lanes of a tenant's events (location or company id), oldest head first. */
  blockedLanes(tenantId: string, limit: number, budget?: Partial<BlockedLanesBudget>): Promise<BlockedLanes>
}
