import type { FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.js'
import { safeEqual } from '../verify/index.js'
import { CONSOLE_HEADER } from './console-header.js'
import { checkSession, sessionKey } from './console-session.js'
import { sessionCookieValues } from './session-cookie.js'

/**
 * Who may use the admin API (/api/*, /metrics, /health): a caller with
 * `Authorization: Bearer <ADMIN_TOKEN>` (the CLI, scripts), or a browser holding the console's
 * session cookie (POST /api/session; see console-session.ts). Without ADMIN_TOKEN none of it exists
 * (404): an API that cannot be protected is not offered.
 *
 * Cross-site request forgery: a browser attaches the cookie to requests other sites start, so a
 * request authenticated by the cookie that may change something (any method but GET, HEAD,
 * OPTIONS) must also carry `X-Gateway-Console: 1`. Another site's page cannot add that header: a
 * cross-origin request with a custom header needs a CORS preflight, which the gateway never
 * approves. SameSite=Strict on the cookie is the first fence, this header the second. A bearer
 * request needs no such header: no browser adds an Authorization header by itself.
 */

/** Methods that change nothing on the admin API, so a forged one gains nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** @default 12h (CONSOLE_SESSION_TTL) */
const DEFAULT_SESSION_TTL_MS = 12 * 3_600_000

/** The admin API's credentials, built once per app (the session key is derived here, not per request). */
export interface AdminAccess {
  /** ADMIN_TOKEN; undefined: the admin API is disabled (404). */
  readonly token: string | undefined
  /** Signs console sessions; derived from `token`. */
  readonly sessionKey: Buffer | undefined
  /** How long a console session lasts (CONSOLE_SESSION_TTL). */
  readonly sessionTtlMs: number
  /** The clock sessions are minted and checked by; tests fix it. */
  readonly now: () => number
}

export interface AdminAccessOptions {
  token: string | undefined
  /** @default 12h */
  sessionTtlMs?: number
  /** @default Date.now */
  now?: () => number
}

export function adminAccess(options: AdminAccessOptions): AdminAccess {
  return {
    token: options.token,
    sessionKey: options.token === undefined ? undefined : sessionKey(options.token),
    sessionTtlMs: options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS,
    now: options.now ?? Date.now,
  }
}

/** The token and the session key; 404 `not_found` while the admin API is disabled. */
export function enabled(access: AdminAccess): { token: string; sessionKey: Buffer } {
  if (access.token === undefined || access.sessionKey === undefined) {
    throw new GatewayError('not_found', 'the admin API is disabled; set ADMIN_TOKEN to enable it')
  }
  return { token: access.token, sessionKey: access.sessionKey }
}

/** How a request was let in: the bearer token, or a console session valid until `expiresAt`. */
export type AdminCredential = { kind: 'bearer' } | { kind: 'session'; expiresAt: number }

/**
 * The request's credential, or the error to answer: 404 while the API is disabled, 401 without a
 * valid bearer token or session. A `Bearer` Authorization header decides alone (a wrong one is not
 * rescued by a cookie); any other Authorization scheme — Basic auth of a proxy in front of the
 * console — leaves the decision to the cookie.
 */
export function authenticate(access: AdminAccess, request: FastifyRequest): AdminCredential {
  const { token, sessionKey } = enabled(access)
  const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization?.trim() ?? '')
  if (bearer) {
    if (!safeEqual(bearer[1]!, token)) throw new GatewayError('unauthorized', 'the admin token is not valid')
    return { kind: 'bearer' }
  }
  const values = sessionCookieValues(request.headers.cookie)
  if (values.length === 0) {
    throw new GatewayError(
      'unauthorized',
      'send Authorization: Bearer <ADMIN_TOKEN>, or log in to the console (POST /api/session)',
    )
  }
  const now = access.now()
  let expired = false
  for (const value of values) {
    const session = checkSession(sessionKey, value, now)
    if (session.valid) return { kind: 'session', expiresAt: session.expiresAt }
    if (session.reason === 'expired') expired = true
  }
  throw new GatewayError(
    'unauthorized',
    expired
      ? 'the console session expired; log in again'
      : 'the console session is not valid (signed under another ADMIN_TOKEN, or altered); log in again',
  )
}

/**
 * A request carried by the console's cookie that may change something must carry
 * `X-Gateway-Console: 1` (see above); otherwise 403 `csrf_required`.
 */
export function requireConsoleHeader(request: FastifyRequest): void {
  if (SAFE_METHODS.has(request.method) || request.headers[CONSOLE_HEADER] === '1') return
  throw new GatewayError(
    'csrf_required',
    'a request with the console session cookie that changes something must send the header X-Gateway-Console: 1 (the console does); API clients send Authorization: Bearer <ADMIN_TOKEN> instead',
  )
}

/** The `onRequest` hook of every admin route: the bearer token, or the session and its CSRF header. */
export function requireAdmin(access: AdminAccess) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    if (authenticate(access, request).kind === 'session') requireConsoleHeader(request)
  }
}
