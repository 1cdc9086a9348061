import { Agent, request as undiciRequest } from 'undici'
import { coerceError } from '../errors.js'
import type { Metrics } from '../observe/metrics.js'
import { startGhlCallSpan } from '../observe/tracing.js'
import type { GhlTokenOwner } from '../store/types.js'
import { ghlVersionFor } from './api-versions.js'
import { GhlApiPermanentError, GhlApiRetryableError, GhlRateLimitedError } from './errors.js'
import { GhlClient } from './ghl-client.js'
import { type GhlRateLimiter, unlimited } from './rate-limiter.js'
import type { GhlTokens } from './tokens.js'

/**
 * GHL's API, for handlers (`ctx.ghl`) and code outside them (`gw.ghl()`): one `GhlApi` per process
 * (its own undici Agent, so keep-alive connections to GHL are shared by every call), bound to a
 * location or company by `for(owner)`.
 *
 * One call: the owner's access token from `GhlTokens` (refreshed under the shared lease), a slot
 * from the rate limiter (`acquire` rejects with `GhlRateLimitedError` instead of waiting), the
 * request with the `Version` of the operation (api-versions.ts), then `observe` with GHL's answer.
 * A 401 invalidates that token and the call is sent once more with a fresh one — GHL may have
 * rotated the token before its expiry; a second 401 is not a token problem. What is not 2xx
 * becomes a typed error (errors.ts) that says whether trying again can help; the worker turns it
 * into a retry or a dead letter (deliver/ghl-errors.ts).
 */

export type GhlMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
export type GhlQuery = Record<string, string | number | boolean | readonly (string | number)[] | undefined>

export interface GhlRequest {
  method: GhlMethod
  /** From the API root: `/contacts/abc`. */
  path: string
  query?: GhlQuery
  /** Sent as JSON. */
  body?: unknown
  /** @default the operation's Version (api-versions.ts) */
  version?: string
  /** Aborts the call (`ctx.ghl` passes `ctx.signal` already). */
  signal?: AbortSignal
  /** The whole call, answer included. @default the client's `timeoutMs` */
  timeoutMs?: number
}

export interface GhlResponse<T = unknown> {
  status: number
  headers: Record<string, string | string[] | undefined>
  /** The body parsed as JSON (a string when it is not JSON, null when empty). */
  data: T
}

/** One call as the attempt log and the metrics see it: no query string, no token, no body. */
export interface GhlCallRecord {
  method: string
  path: string
  /** null: no answer (timeout, connection error). */
  status: number | null
  durationMs: number
  version: string
  /** The typed helper that made it (`contacts.addNote`), or `request`. */
  operation: string
}

export interface GhlApiOptions {
  /** GHL_API_URL. */
  apiUrl: string
  tokens: GhlTokens
  /** @default unlimited */
  limiter?: GhlRateLimiter
  metrics?: Pick<Metrics, 'ghlApiCalls' | 'ghlApiCallSeconds'>
  /** One call, answer included. @default 15_000 */
  timeoutMs?: number
}

/** Options of a bound client. */
export interface GhlBinding {
  /** Aborts every call of this client (`ctx.signal`). */
  signal?: AbortSignal
  /** Told about every call, after it ends (the attempt log). */
  onCall?: (call: GhlCallRecord) => void
  /** Answer non-2xx statuses instead of throwing (after the one 401 retry): `POST /api/ghl/call`. @default false */
  answerErrors?: boolean
}

export class GhlApi {
  readonly #o: Required<Omit<GhlApiOptions, 'metrics'>> & Pick<GhlApiOptions, 'metrics'>
  readonly #agent: Agent

  constructor(options: GhlApiOptions) {
    this.#o = {
      limiter: unlimited,
      timeoutMs: 15_000,
      ...options,
      apiUrl: options.apiUrl.replace(/\/+$/, ''),
    }
    this.#agent = new Agent({ keepAliveTimeout: 4000, connect: { timeout: this.#o.timeoutMs } })
  }

  /** The owner of a location id, or of `{ companyId }`. */
  owner(target: string | { companyId: string } | GhlTokenOwner): GhlTokenOwner {
    if (typeof target === 'string') return this.#o.tokens.owner(target)
    if ('ownerId' in target) return target
    return this.#o.tokens.owner(target.companyId, 'Company')
  }

  /** One call for an owner; `operation` names it in metrics and the attempt log. */
  async call<T>(
    owner: GhlTokenOwner,
    call: GhlRequest,
    binding: GhlBinding = {},
    operation = 'request',
  ): Promise<GhlResponse<T>> {
    const { tokens, limiter } = this.#o
    const method = call.method.toUpperCase() as GhlMethod
    const path = call.path.startsWith('/') ? call.path : `/${call.path}`
    const bare = path.split('?', 1)[0] ?? path
    const version = call.version ?? ghlVersionFor(method, bare)
    const signal = anySignal(binding.signal, call.signal)
    const what = `${method} ${bare}`
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted()
      const token = await tokens.accessToken(owner)
      await limiter.acquire(owner, signal)
      const started = performance.now()
      const span = startGhlCallSpan(method, this.#o.apiUrl, bare, operation)
      const record = (status: number | null, error?: Error) => {
        span.end(status, error)
        const durationMs = Math.round((performance.now() - started) * 10) / 10
        const entry = { method, path: bare, status, durationMs, version, operation }
        this.#o.metrics?.ghlApiCalls.inc({ status_class: statusClass(status), operation })
        this.#o.metrics?.ghlApiCallSeconds.observe({ operation }, durationMs / 1000)
        binding.onCall?.(entry)
      }
      const timeoutMs = call.timeoutMs ?? this.#o.timeoutMs
      const timeout = AbortSignal.timeout(timeoutMs)
      let status: number
      let headers: GhlResponse['headers']
      let text: string
      try {
        const answer = await undiciRequest(`${this.#o.apiUrl}${path}${queryString(call.query)}`, {
          method,
          dispatcher: this.#agent,
          headers: {
            authorization: `Bearer ${token}`,
            version,
            accept: 'application/json',
            ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        })
        status = answer.statusCode
        headers = answer.headers
        text = await answer.body.text()
      } catch (error) {
        record(null, coerceError(error))
        // The caller's own abort (the handler's timeout, the gateway stopping) is its reason.
        if (signal?.aborted) throw signal.reason
        const why = timeout.aborted ? `did not answer within ${timeoutMs} ms` : 'could not be reached'
        throw new GhlApiRetryableError(`GHL ${why} (${what})`, undefined, method, bare, undefined, {
          cause: error,
        })
      }
      record(status)
      limiter.observe(owner, status, headers)
      const data = parseBody(text)
      if (status >= 200 && status < 300) return { status, headers, data: data as T }
      if (status === 401 && attempt === 1) {
        // GHL may have rotated the token early: refreshed once (under the shared lease) and sent again.
        tokens.invalidate(token)
        continue
      }
      if (binding.answerErrors) return { status, headers, data: data as T }
      throw answerError(status, headers, data, method, bare)
    }
  }

  /** The owner's current access token (for the SDK interop; never logged). */
  accessToken(owner: GhlTokenOwner): Promise<string> {
    return this.#o.tokens.accessToken(owner)
  }

  /** Bound to one location or company (`ctx.ghl`, `gw.ghl()`). */
  for(target: string | { companyId: string } | GhlTokenOwner, binding: GhlBinding = {}): GhlClient {
    return new GhlClient(this, this.owner(target), binding)
  }

  /** Stops the keep-alive pool (the gateway's release). */
  close(): Promise<void> {
    return this.#agent.close()
  }
}

function answerError(
  status: number,
  headers: GhlResponse['headers'],
  data: unknown,
  method: string,
  path: string,
): Error {
  const said = ghlMessage(data)
  const text = `GHL answered ${status} to ${method} ${path}${said ? `: ${said}` : ''}`
  if (status === 429) {
    const daily = header(headers, 'x-ratelimit-daily-remaining') === '0'
    return new GhlRateLimitedError(text, retryAfterMs(headers), daily ? 'daily' : 'burst')
  }
  const ErrorClass = status >= 500 ? GhlApiRetryableError : GhlApiPermanentError
  return new ErrorClass(text, status, method, path, said)
}

/** How long after a 429: `Retry-After` when GHL sends it, else its window (`X-RateLimit-Interval-Milliseconds`), else 10 s. */
export function retryAfterMs(headers: GhlResponse['headers'], now = Date.now()): number {
  const retryAfter = header(headers, 'retry-after')
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter)
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000)
    const at = Date.parse(retryAfter)
    if (Number.isFinite(at)) return Math.max(0, at - now)
  }
  const interval = Number(header(headers, 'x-ratelimit-interval-milliseconds'))
  return Number.isFinite(interval) && interval > 0 ? interval : 10_000
}

function header(headers: GhlResponse['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** GHL's error bodies: `{ statusCode, message }` where `message` may be a list (validation). */
function ghlMessage(data: unknown): string | undefined {
  if (typeof data === 'string') return data.slice(0, 300) || undefined
  if (typeof data !== 'object' || data === null) return undefined
  const { message, error } = data as { message?: unknown; error?: unknown }
  const text = Array.isArray(message) ? message.join('; ') : (message ?? error)
  return typeof text === 'string' ? text.slice(0, 300) : undefined
}

function parseBody(text: string): unknown {
  if (text === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function queryString(query: GhlQuery | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) params.append(name, String(item))
    else params.append(name, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

function anySignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a && b) return AbortSignal.any([a, b])
  return a ?? b
}

/** Bounded label values: the status class, not the status. */
function statusClass(status: number | null): string {
  if (status === null) return 'error'
  if (status === 401 || status === 429) return String(status)
  return `${Math.floor(status / 100)}xx`
}
