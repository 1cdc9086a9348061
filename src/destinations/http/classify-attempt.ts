import { STATUS_CODES } from 'node:http'
import { EgressRefused } from './errors.js'

/**
 * What one HTTP attempt ended as, before any decision: a response (its status and headers), or
 * no response at all (timeout, connection refused or reset, DNS failure, egress refused).
 */
export type HttpOutcome =
  | { kind: 'response'; status: number; headers: Readonly<Record<string, string>> }
  | { kind: 'error'; error: Error }

/**
 * What happens next, decided by `classifyAttempt` alone:
 * - `success`: the delivery succeeded.
 * - `retry`: try again per the retry policy; `retryAfterMs` (from `Retry-After`) replaces the
 *   backoff for this one retry (the policy's limits still apply).
 * - `fatal`: retrying cannot help (the SSRF guard refused the address): dead-letter now.
 * - `disable`: the endpoint is gone (410): pause the destination and keep the delivery waiting.
 */
export type AttemptVerdict =
  | { kind: 'success'; message: string }
  | { kind: 'retry'; errorName: string; message: string; retryAfterMs?: number }
  | { kind: 'fatal'; errorName: string; message: string }
  | { kind: 'disable'; errorName: string; message: string }

export interface ClassifyOptions {
  /** Now, ms since the epoch (a `Retry-After` date is relative to it). */
  now: number
  /** The longest `Retry-After` honoured; longer ones are capped. @default 3_600_000 (1 h) */
  maxRetryAfterMs?: number
}

export const MAX_RETRY_AFTER_MS = 3_600_000

/** Statuses that mean "later": the `Retry-After` they carry is honoured. */
const THROTTLING = new Set([429, 502, 503, 504])

/**
 * The decision table, as a pure function (tested row by row in `classify-attempt.test.ts`):
 *
 * | outcome                                  | verdict                                        |
 * |------------------------------------------|------------------------------------------------|
 * | 2xx                                      | success                                        |
 * | 429, 502, 503, 504                       | retry, after `Retry-After` if given (capped)   |
 * | 410 Gone                                 | disable (pause the destination, keep delivery) |
 * | 3xx                                      | retry ("redirects are not followed")           |
 * | other 4xx, other 5xx, 1xx                | retry per policy                               |
 * | timeout, reset, refused, DNS failure     | retry per policy                               |
 * | egress refused (SSRF guard)              | fatal                                          |
 */
export function classifyAttempt(outcome: HttpOutcome, options: ClassifyOptions): AttemptVerdict {
  if (outcome.kind === 'error') {
    const { error } = outcome
    if (error instanceof EgressRefused)
      return { kind: 'fatal', errorName: error.name, message: error.message }
    return { kind: 'retry', errorName: error.name, message: error.message }
  }
  const { status, headers } = outcome
  const text = statusText(status)
  if (status >= 200 && status < 300) return { kind: 'success', message: text }
  if (status === 410) {
    return {
      kind: 'disable',
      errorName: 'DestinationGone',
      message: `answered ${text}; the destination is paused (reason: gone) until it is resumed, and its deliveries wait`,
    }
  }
  if (status >= 300 && status < 400) {
    const location = originOf(headers.location)
    return {
      kind: 'retry',
      errorName: 'HttpStatusError',
      message:
        `answered ${text}${location ? ` to ${location}` : ''}; redirects are not followed — ` +
        'point the destination at the final URL',
    }
  }
  if (THROTTLING.has(status)) {
    const requested = parseRetryAfter(headers['retry-after'], options.now)
    if (requested !== undefined) {
      const cap = options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS
      const retryAfterMs = Math.min(requested, cap)
      return {
        kind: 'retry',
        errorName: 'HttpStatusError',
        message: `answered ${text} with Retry-After ${Math.round(requested / 1000)} s${
          requested > cap ? ` (capped at ${Math.round(cap / 1000)} s)` : ''
        }`,
        retryAfterMs,
      }
    }
  }
  return { kind: 'retry', errorName: 'HttpStatusError', message: `answered ${text}` }
}

/**
 * `Retry-After` as a delay in ms: delta-seconds (`120`) or an HTTP date (RFC 9110 §10.2.3).
 * A date in the past means "now" (0); anything unparseable is ignored (undefined).
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  if (!/[a-z]/i.test(text)) return undefined
  const at = Date.parse(text)
  if (!Number.isFinite(at)) return undefined
  return Math.max(0, at - now)
}

export function statusText(status: number): string {
  const reason = STATUS_CODES[status]
  return reason ? `${status} ${reason}` : String(status)
}

/** The origin of a Location header (paths and queries may carry tokens; they are not repeated). */
function originOf(location: string | undefined): string | undefined {
  if (!location) return undefined
  try {
    return new URL(location).origin
  } catch {
    return undefined
  }
}
