/** Destinations as stored: the HTTP subscribers defined in config files and through the admin API. */

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
  /**
   * When a probe of its circuit breaker was last asked for ("probe now", a replay into it); null
   * if never. Each process acts once on each new value (src/destinations/destination-set.ts).
   */
  probeRequestedAt: number | null
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

export interface DestinationStore {
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
  /**
   * Records that a probe of the destination's circuit breaker is asked for (`probeRequestedAt =
   * now`); the updated row, or undefined when there is no such destination.
   */
  requestDestinationProbe(id: string, now: number): Promise<StoredDestination | undefined>
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
}
