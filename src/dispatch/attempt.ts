import type { Logger } from '../observe/logger.js'
import type { ClaimedDelivery } from '../store/types.js'

/** What a subscriber's attempt reports back to the worker. */
export type AttemptReport =
  | { outcome: 'success'; response?: Record<string, unknown> }
  | { outcome: 'retry'; error: Error; retryAfterMs?: number; response?: Record<string, unknown> }
  | { outcome: 'permanent'; error: Error; response?: Record<string, unknown> }

/** What the worker gives a subscriber for one attempt. */
export interface AttemptContext {
  /** Aborted when the attempt times out or the gateway stops. */
  signal: AbortSignal
  logger: Logger
  now: () => number
}

/** Runs one attempt of one delivery; never throws (failures are reports). */
export type RunAttempt = (delivery: ClaimedDelivery, context: AttemptContext) => Promise<AttemptReport>
