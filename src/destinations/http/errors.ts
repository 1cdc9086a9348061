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
export class EgressRefused extends Error {
  readonly code = 'EGRESS_REFUSED'
  constructor(message: string) {
    super(message)
    this.name = 'EgressRefused'
  }
}

/** The attempt did not finish (connect, request, response headers and body) within the timeout. */
export class DestinationTimeout extends Error {
  constructor(timeoutMs: number, phase?: string) {
    super(`no complete response within the ${timeoutMs} ms timeout${phase ? ` (${phase})` : ''}`)
    this.name = 'DestinationTimeout'
  }
}

/** The connection failed: refused, reset, closed early, DNS lookup failed, TLS failed. */
export class NetworkError extends Error {
  readonly code: string | undefined
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'NetworkError'
    this.code = options.code
  }
}

/** The destination answered with a status that is not a success. */
export class HttpStatusError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'HttpStatusError'
    this.status = status
  }
}

/** The destination answered 410 Gone: it is paused (reason `gone`) until someone resumes it. */
export class DestinationGone extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DestinationGone'
  }
}

/** The OAuth 2.0 token endpoint did not hand out a token. */
export class OAuthTokenError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'OAuthTokenError'
  }
}
