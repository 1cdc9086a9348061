import { publishedType, type TypeMapper } from '../../catalog/index.js'
import { coerceError } from '../../errors.js'
import type { StoredEvent } from '../../store/types.js'
import { signStandardWebhook } from '../../verify/standard-webhooks.js'
import { headerText } from '../headers.js'
import type { DestinationDefinition } from '../schema.js'
import type { Authenticator } from './auth.js'
import { type AttemptVerdict, classifyAttempt, type HttpOutcome } from './classify-attempt.js'
import { createDeadline, type HttpClient, type HttpResult } from './client.js'
import { buildPayload } from './payload.js'

/**
 * Headers every request carries besides the destination's own:
 * - `webhook-id`: the event id (`evt_…`), the same on every retry and replay — the receiver's
 *   idempotency key (Standard Webhooks).
 * - `webhook-timestamp`: Unix seconds of this attempt.
 * - `webhook-signature`: `v1,<base64>` per signing secret (several during rotation), HMAC-SHA256
 *   over `id.timestamp.body` — the exact bytes sent. Only with `signing`.
 * - `user-agent`: `ghl-gateway/<version>`.
 * - `x-gateway-delivery`: the delivery id (`dlv_…`; `test` for a test send).
 * - `x-gateway-attempt`: 1 on the first attempt, 2 on the first retry, … (a replay starts again at 1).
 * - `x-gateway-cycle`: 0 until the delivery is replayed; n on the attempts of its n-th replay.
 * - `x-gateway-event-type`: the event's published type (`contact.created`); a type that is not
 *   printable ASCII (another source's `契約.作成`) is percent-encoded UTF-8 (`headerText`).
 * - `traceparent`: the attempt's W3C trace context (observe/tracing.ts), when it has one.
 * - `tracestate`: the vendor data of that trace context, when it has any (only with `traceparent`).
 */
export const ATTEMPT_HEADER = 'x-gateway-attempt'
export const CYCLE_HEADER = 'x-gateway-cycle'
export const DELIVERY_HEADER = 'x-gateway-delivery'
export const EVENT_TYPE_HEADER = 'x-gateway-event-type'

export interface SendOptions {
  /** The `x-gateway-attempt` value: 1, 2, … within the cycle. */
  attempt: number
  /** The `x-gateway-cycle` value: 0, or n for the n-th replay. */
  cycle: number
  /** The `x-gateway-delivery` value. */
  deliveryId: string
  /** The attempt's time (ms): `webhook-timestamp`, token expiry, Retry-After dates. */
  now: number
  /** The worker's signal (attempt timeout, shutdown); the destination's own timeout is added. */
  signal?: AbortSignal
  /** The attempt's W3C trace context (observe/tracing.ts): sent as `traceparent`. */
  traceParent?: string | null
  /** Its W3C `tracestate`: sent only next to `traceparent` (the spec ignores it alone). */
  traceState?: string | null
}

export interface SendResult {
  result: HttpResult
  verdict: AttemptVerdict
  /** `METHOD origin` for messages (never the path: webhook URLs often carry their secret there). */
  target: string
}

export interface SendDeps {
  client: HttpClient
  types: TypeMapper
  userAgent: string
  auth: Authenticator | undefined
  /** Signing keys, decoded. */
  secrets: readonly Buffer[]
  target: string
}

/**
 * One HTTP request for one event: payload, headers, signature over the exact body bytes, auth
 * (with one retry after a 401 when the credentials can be refreshed), all within the
 * destination's timeout; then the verdict. Never throws for the destination's answer.
 */
export async function sendEvent(
  d: DestinationDefinition,
  event: StoredEvent,
  options: SendOptions,
  deps: SendDeps,
): Promise<SendResult> {
  const deadline = createDeadline(d.timeout, options.signal)
  try {
    const payload = buildPayload(d, event, deps.types)
    const url = payload.query ? appendQuery(d.url, payload.query) : d.url
    const timestamp = Math.floor(options.now / 1000)
    const headers: Record<string, string> = { ...d.headers }
    if (payload.contentType !== undefined && headers['content-type'] === undefined)
      headers['content-type'] = payload.contentType
    headers['user-agent'] = deps.userAgent
    headers['webhook-id'] = event.id
    headers['webhook-timestamp'] = String(timestamp)
    if (deps.secrets.length) {
      headers['webhook-signature'] = deps.secrets
        .map((secret) => signStandardWebhook(secret, event.id, timestamp, payload.body))
        .join(' ')
    }
    headers[DELIVERY_HEADER] = options.deliveryId
    headers[ATTEMPT_HEADER] = String(options.attempt)
    headers[CYCLE_HEADER] = String(options.cycle)
    headers[EVENT_TYPE_HEADER] = headerText(publishedType(event, deps.types))
    if (options.traceParent) {
      headers.traceparent = options.traceParent
      if (options.traceState) headers.tracestate = options.traceState
    }

    const context = { now: options.now, deadline, userAgent: deps.userAgent }
    const request = async (): Promise<HttpResult> => {
      let authHeaders: Record<string, string> = {}
      if (deps.auth) {
        try {
          authHeaders = await deps.auth.headers(context)
        } catch (error) {
          return { kind: 'error', error: coerceError(error), saved: { status: null, durationMs: 0 } }
        }
      }
      return deps.client.send({
        url,
        method: d.method,
        headers: { ...headers, ...authHeaders },
        body: d.method === 'GET' ? undefined : payload.body,
        deadline,
        responseBodyBytes: d.responseBodyBytes,
      })
    }
    let result = await request()
    // An expired or revoked OAuth token: fetch a new one and try once more, in this attempt.
    if (result.kind === 'response' && result.status === 401 && deps.auth?.invalidate())
      result = await request()
    const verdict = classifyAttempt(outcomeOf(result), { now: options.now })
    return { result, verdict, target: deps.target }
  } finally {
    deadline.clear()
  }
}

function outcomeOf(result: HttpResult): HttpOutcome {
  return result.kind === 'response'
    ? { kind: 'response', status: result.status, headers: result.headers }
    : { kind: 'error', error: result.error }
}

function appendQuery(url: string, query: string): string {
  if (!query) return url
  return `${url}${url.includes('?') ? '&' : '?'}${query}`
}
