/**
 * The console session's cookie on the wire: reading it from a `Cookie` header and writing the
 * `Set-Cookie` that sets or clears it.
 *
 * Written here rather than with the `cookie` package: its current major (2.x, which
 * @fastify/cookie 11.1 uses) needs Node 22, and the gateway reads exactly one cookie whose value it
 * minted itself (`[A-Za-z0-9._-]`, see console-session.ts), so no decoding, quoting or attribute
 * parsing is needed — only splitting the header, which the tests beside this file pin down.
 */

export const SESSION_COOKIE = 'ghl_gateway_session'

/**
 * A browser sends two cookies of one name when two were set for different paths or domains (a
 * sibling subdomain can set one for the parent domain: "cookie tossing"). Each is tried, so a
 * tossed cookie cannot shadow the real one; a few are enough, the rest are ignored.
 */
const MAX_CANDIDATES = 4

/** Every value of the session cookie in a `Cookie` header, in order (at most a few). */
export function sessionCookieValues(header: string | string[] | undefined): string[] {
  if (header === undefined) return []
  const values: string[] = []
  // HTTP/2 may split the header into several; HTTP/1.1 sends one, pairs separated by `; `.
  for (const line of Array.isArray(header) ? header : [header]) {
    for (const pair of line.split(';')) {
      const equals = pair.indexOf('=')
      if (equals === -1 || pair.slice(0, equals).trim() !== SESSION_COOKIE) continue
      let value = pair.slice(equals + 1).trim()
      // RFC 6265 allows a value in double quotes; ours never needs them, a client may add them.
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
      values.push(value)
      if (values.length === MAX_CANDIDATES) return values
    }
  }
  return values
}

export interface SessionCookieOptions {
  /** Seconds the browser keeps it (`Max-Age`); 0 clears it. */
  maxAgeSeconds: number
  /** The request came over TLS (`request.protocol === 'https'`, X-Forwarded-Proto under TRUST_PROXY). */
  secure: boolean
}

/**
 * `Set-Cookie` for the session: HttpOnly (page scripts never read it), SameSite=Strict (a request
 * started by another site never carries it), Path=/ (the console at /ui and the API at /api), and
 * Secure when served over TLS, so the browser never sends it over plain HTTP afterwards.
 */
export function sessionSetCookie(value: string, options: SessionCookieOptions): string {
  const attributes = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
  ]
  if (options.secure) attributes.push('Secure')
  return attributes.join('; ')
}

/** `Set-Cookie` that makes the browser drop the session (same attributes, empty, `Max-Age=0`). */
export function clearedSessionCookie(secure: boolean): string {
  return sessionSetCookie('', { maxAgeSeconds: 0, secure })
}
