/**
 * What a handler throws decides what happens next. Anything thrown is retried per the subscriber's
 * policy; these two classes say more.
 */

/** Retry this delivery, optionally after a specific delay (e.g. an upstream's Retry-After). */
export class RetryableError extends Error {
  readonly retryAfterMs: number | undefined
  constructor(message: string, options: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RetryableError'
    this.retryAfterMs = options.retryAfterMs
  }
}

/** Do not retry: the delivery goes straight to the dead-letter queue. */
export class PermanentError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'PermanentError'
  }
}

/** The handler did not settle within its timeout; its `ctx.signal` was aborted. */
export class HandlerTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the handler did not finish within ${timeoutMs} ms (its ctx.signal was aborted)`)
    this.name = 'HandlerTimeoutError'
  }
}
