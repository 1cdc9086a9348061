import { BaseError, type ErrorCause } from '../../errors.js'

/**
 * Why an HTTP delivery attempt failed. The class name is recorded as the attempt's `errorClass`,
 * so operators can filter on it; messages name the destination's origin, never its full URL (a
 * webhook URL's path is often its credential) and never a secret.
 */

/**
 * The SSRF guard refused the address the destination's host resolved to (loopback, private,
 * link-local/metadata, …) or the host name itself (`localhost`). Permanent: retrying cannot help
 * until the configuration changes (`egress.allow` / `EGRESS_ALLOW`).
 */
export class EgressRefused extends BaseError {
  override name = 'EgressRefused'
  readonly code = 'EGRESS_REFUSED'
}

/** The attempt did not finish (connect, request, response headers and body) within the timeout. */
export class DestinationTimeout extends BaseError {
  override name = 'DestinationTimeout'
  constructor(timeoutMs: number, phase?: string) {
    super(`no complete response within the ${timeoutMs} ms timeout${phase ? ` (${phase})` : ''}`)
  }
}

/** The connection failed: refused, reset, closed early, DNS lookup failed, TLS failed. */
export class NetworkError extends BaseError {
  override name = 'NetworkError'
  readonly code: string | undefined
  constructor(message: string, options: ErrorCause & { code?: string } = {}) {
    super(message, options)
    this.code = options.code
  }
}

/** The destination answered with a status that is not a success. */
export class HttpStatusError extends BaseError {
  override name = 'HttpStatusError'
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

/** The destination answered 410 Gone: it is paused (reason `gone`) until someone resumes it. */
export class DestinationGone extends BaseError {
  override name = 'DestinationGone'
}

/** The OAuth 2.0 token endpoint did not hand out a token. */
export class OAuthTokenError extends BaseError {
  override name = 'OAuthTokenError'
}
