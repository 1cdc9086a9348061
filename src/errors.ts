/**
 * The error catalog: every error the gateway answers with has a stable `code` from this list,
 * one HTTP status, and a message that tells the caller what to fix.
 *
 * `docs/errors.md` lists exactly these codes (a test checks both directions). Add a code here and
 * document it there in the same commit; never rename or reuse a code, clients match on it.
 */

export const ERROR_CODES = {
  // Client mistakes: always 4xx. Nothing is stored for any of these.
  invalid_json: 400,
  invalid_payload: 400,
  payload_too_deep: 400,
  invalid_request: 400,
  missing_signature: 401,
  invalid_signature: 401,
  timestamp_out_of_tolerance: 401,
  unauthorized: 401,
  csrf_required: 403,
  not_found: 404,
  unknown_source: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  // The console's "send this sample" with no CONSOLE_SAMPLE_SIGNING_KEY set.
  sample_key_not_configured: 409,
  // Private Integration Tokens (g-pit): setting one on a gateway without GHL_TOKEN_KEY, which stores tokens encrypted.
  ghl_token_key_not_configured: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  expectation_failed: 417,
  headers_too_large: 431,
  // We are (deliberately or not) unable to take the event right now: the sender should retry.
  backpressure: 429,
  rate_limited: 429,
  // POST /api/ghl/call (the `ghl call` CLI): why a call to GHL's API could not be made or answered.
  ghl_not_configured: 409,
  ghl_not_installed: 404,
  ghl_reauth_required: 409,
  ghl_rate_limited: 429,
  internal_error: 500,
  // A mounted handler (nodeHandler, fetchHandler) whose body another middleware already read and
  // parsed: the signature is over bytes that are gone. 5xx so that GHL retries once it is fixed.
  body_already_read: 500,
  storage_unavailable: 503,
  shutting_down: 503,
  // A mounted handler (nodeHandler, fetchHandler, the Fastify plugin) of a gateway not started yet.
  not_started: 503,
  // The web console's files were not built (dist/ui); the API and webhooks work without them.
  console_not_built: 503,
  // GHL app installs (/oauth/install, /oauth/callback: src/api/install-routes.ts).
  ghl_install_code_missing: 400,
  ghl_install_state_invalid: 400,
  ghl_install_code_rejected: 400,
  ghl_install_refused: 502,
  ghl_unavailable: 503,
  ghl_install_not_configured: 503,
} as const

export type ErrorCode = keyof typeof ERROR_CODES

/** Seconds a sender is asked to wait after a 429 or 503. */
export const RETRY_AFTER_SECONDS = 5

/** What every error class of the gateway takes besides its message. */
export interface ErrorCause {
  /** The error this one explains, kept as `cause` (logs print it). */
  cause?: unknown
}

/**
 * The base of the gateway's error classes: `cause` is set only when there is one (no own
 * `cause: undefined` to print). Each class names itself with `override name = '…'`, a literal
 * rather than the class's own name: attempts record it as `errorClass`, and an application that
 * bundles and minifies the library would rename the class.
 */
export class BaseError extends Error {
  constructor(message: string, options: ErrorCause = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
  }
}

export interface GatewayErrorOptions extends ErrorCause {
  /** Seconds; sent as `Retry-After` (429 and 503 answers). */
  retryAfter?: number
  /** Extra machine-readable detail returned in the body (never secrets). */
  details?: Record<string, unknown>
}

/** An error that maps to one catalog entry. Throw it anywhere on the request path. */
export class GatewayError extends BaseError {
  override name = 'GatewayError'
  readonly code: ErrorCode
  readonly statusCode: number
  readonly retryAfter: number | undefined
  readonly details: Record<string, unknown> | undefined

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options)
    this.code = code
    this.statusCode = ERROR_CODES[code]
    this.retryAfter = options.retryAfter
    this.details = options.details
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: Record<string, unknown> }
}

export function errorBody(err: GatewayError, requestId: string): ErrorBody {
  const error: ErrorBody['error'] = { code: err.code, message: err.message, requestId }
  if (err.details) error.details = err.details
  return { error }
}

/** Turns anything thrown into an Error, keeping the original as `cause` when it was not one. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  return new Error(typeof thrown === 'string' ? thrown : 'non-error thrown', { cause: thrown })
}
