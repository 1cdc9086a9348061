import { toMilliseconds } from '../duration.js'
import { BaseError, type ErrorCause } from '../errors.js'

/**
 * What a handler throws decides what happens next. Anything thrown is retried per the subscriber's
 * policy; these two classes say more.
 */

export interface RetryableErrorOptions extends ErrorCause {
  /**
   * Wait this long before the next attempt (e.g. an upstream's Retry-After): a duration like the
   * other options take (`'30s'`, `'5m'`) or a number of milliseconds. It replaces the backoff
   * delay; `retry.maxAttempts` and `retry.maxAge` still apply. @default the subscriber's backoff
   */
  retryAfter?: number | string
  /** The same in milliseconds (the older spelling); `retryAfter` wins when both are given. */
  retryAfterMs?: number
}

/** Retry this delivery, optionally after a specific delay (e.g. an upstream's Retry-After). */
export class RetryableError extends BaseError {
  override name = 'RetryableError'
  /** The delay asked for, in milliseconds; undefined leaves it to the backoff. */
  readonly retryAfterMs: number | undefined
  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options)
    const asked = options.retryAfter ?? options.retryAfterMs
    const ms = asked === undefined ? undefined : toMilliseconds(asked)
    if (asked !== undefined && ms === undefined) {
      // Thrown from the handler's own `throw new RetryableError(…)`: the attempt records this
      // sentence and is retried on the normal backoff.
      throw new TypeError(
        `RetryableError: retryAfter must be a duration such as '30s' or '5m', or milliseconds (got ${JSON.stringify(asked)})`,
      )
    }
    this.retryAfterMs = ms
  }
}

/** Do not retry: the delivery goes straight to the dead-letter queue. */
export class PermanentError extends BaseError {
  override name = 'PermanentError'
}

/** The handler did not settle within its timeout; its `ctx.signal` was aborted. */
export class HandlerTimeoutError extends BaseError {
  override name = 'HandlerTimeoutError'
  constructor(timeoutMs: number) {
    super(`the handler did not finish within ${timeoutMs} ms (its ctx.signal was aborted)`)
  }
}
