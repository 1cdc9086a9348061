import type { AttemptReport } from '../dispatch/attempt.js'
import {
  GhlApiPermanentError,
  GhlApiRetryableError,
  GhlNotInstalledError,
  GhlRateLimitedError,
  GhlReauthRequiredError,
  GhlTokenUnavailableError,
} from '../ghl/errors.js'
import { PermanentError, RetryableError } from './errors.js'

/**
 * What a GHL error a handler let escape means for its delivery (ctx.ghl). Rate limited → deferred
 * until the limiter's delay (no attempt used, `maxAge` not applied: retry-policy.ts decideDeferral),
 * never a sleep in the handler; GHL or the network failing, or a token
 * being refreshed elsewhere → retried on the backoff; the app not installed or its token needing a
 * re-install, or GHL refusing the call itself (4xx) → dead-lettered with the reason, since no retry
 * can fix those. Anything else: undefined (the handler runner's own rule).
 */
export function ghlErrorReport(error: Error): AttemptReport | undefined {
  const said = `${error.name}: ${error.message}`
  if (error instanceof GhlRateLimitedError) {
    // A deferral: waiting for GHL's window is not a failure of the handler, so it uses no attempt.
    const retry = new RetryableError(`${said} (deferred by GHL's rate limit: not counted as an attempt)`, {
      retryAfterMs: error.retryAfterMs,
      cause: error,
    })
    return { outcome: 'retry', error: retry, retryAfterMs: error.retryAfterMs, deferred: true }
  }
  if (error instanceof GhlTokenUnavailableError || error instanceof GhlApiRetryableError) {
    return { outcome: 'retry', error: new RetryableError(said, { cause: error }) }
  }
  if (
    error instanceof GhlReauthRequiredError ||
    error instanceof GhlNotInstalledError ||
    error instanceof GhlApiPermanentError
  ) {
    return { outcome: 'permanent', error: new PermanentError(said, { cause: error }) }
  }
  return undefined
}
