import { BaseError } from '../errors.js'

/**
 * What asking for a GHL token can end in besides a token. Whether the caller should try again later
 * is in the class: `GhlTokenUnavailableError` is temporary (GHL or the network failed, another process
 * is still refreshing); the others need a person (re-install, fix a setting or a key).
 */

/** No token is stored for this location or company: the app was never installed there (or it was removed). */
export class GhlNotInstalledError extends BaseError {
  override name = 'GhlNotInstalledError'
}

/** GHL refused the refresh token (`invalid_grant`), or the token was revoked: the location must install the app again. */
export class GhlReauthRequiredError extends BaseError {
  override name = 'GhlReauthRequiredError'
}

/** GHL could not be asked right now (timeout, network, 5xx, 429), or another process's refresh did not finish in time. Try again later. */
export class GhlTokenUnavailableError extends BaseError {
  override name = 'GhlTokenUnavailableError'
}

/**
 * GHL refused a token request for a reason that is ours to fix (wrong client id or secret, a
 * redirect URI it does not know, a code already used): `error` is GHL's code, when it sent one.
 */
export class GhlOAuthRejectedError extends BaseError {
  override name = 'GhlOAuthRejectedError'
  constructor(
    message: string,
    readonly status: number,
    readonly error: string | undefined,
  ) {
    super(message)
  }
}

/** A stored token cannot be decrypted with the configured keys (a key removed or changed, a row altered). */
export class GhlTokenDecryptError extends BaseError {
  override name = 'GhlTokenDecryptError'
}

/**
 * A GHL call may not be sent now: this location's (or company's) calls in the last 10 s, or today,
 * reached GHL's limit, or GHL answered 429. `retryAfterMs` says when a slot frees up.
 */
export class GhlRateLimitedError extends BaseError {
  override name = 'GhlRateLimitedError'
  constructor(
    message: string,
    readonly retryAfterMs: number,
    readonly window: 'burst' | 'daily',
  ) {
    super(message)
  }
}

/**
 * GHL API calls (`ctx.ghl`, `gw.ghl()`): an answer that is not 2xx, or no answer. The message names
 * the method, the path (no query) and what GHL said — never the token. 429 is `GhlRateLimitedError`.
 */
export class GhlApiError extends BaseError {
  override name = 'GhlApiError'
  constructor(
    message: string,
    /** GHL's status; undefined when there was no answer (timeout, connection error). */
    readonly status: number | undefined,
    readonly method: string,
    readonly path: string,
    /** GHL's `message`, when it sent one. */
    readonly ghlMessage: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(message, options)
  }
}

/** A 5xx, a timeout or a connection error: the same call may work later. */
export class GhlApiRetryableError extends GhlApiError {
  override name = 'GhlApiRetryableError'
}

/** A 4xx other than 429 (and a 401 that a fresh token did not cure): the same call will fail again. */
export class GhlApiPermanentError extends GhlApiError {
  override name = 'GhlApiPermanentError'
}

/** `ctx.ghl` or `gw.ghl()` without a GHL app configured (GHL_CLIENT_ID, GHL_CLIENT_SECRET, GHL_TOKEN_KEY). */
export class GhlNotConfiguredError extends BaseError {
  override name = 'GhlNotConfiguredError'
}
