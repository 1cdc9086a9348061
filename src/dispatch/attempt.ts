import type { Logger } from '../observe/logger.js'
import type { ClaimedDelivery } from '../store/types.js'

/**
 * What a subscriber's attempt reports back to the worker. A retry that is `deferred` was not a
 * failure but a wait someone else imposed (GHL's rate limit): it runs again after `retryAfterMs`
 * without using up an attempt or dying on `maxAge` (retry-policy.ts, `decideDeferral`).
 */
export type AttemptReport =
  | { outcome: 'success'; response?: Record<string, unknown> }
  | {
      outcome: 'retry'
      error: Error
      retryAfterMs?: number
      deferred?: true
      response?: Record<string, unknown>
    }
  | { outcome: 'permanent'; error: Error; response?: Record<string, unknown> }

/** What the worker gives a subscriber for one attempt. */
export interface AttemptContext {
  /** Aborted when the attempt times out or the gateway stops. */
  signal: AbortSignal
  logger: Logger
  now: () => number
  /** The W3C `traceparent` a destination request carries (observe/tracing.ts); absent: none. */
  traceParent?: string | null
  /** The W3C `tracestate` sent with that `traceparent` (never without it); absent: none. */
  traceState?: string | null
}

/** Runs one attempt of one delivery; never throws (failures are reports). */
export type RunAttempt = (delivery: ClaimedDelivery, context: AttemptContext) => Promise<AttemptReport>
