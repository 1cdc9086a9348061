import {
  createTraceState,
  isValidSpanId,
  isValidTraceId,
  type SpanContext,
  TraceFlags,
  type TraceState,
} from '@opentelemetry/api'

/**
 * The W3C Trace Context headers `traceparent` and `tracestate` (https://www.w3.org/TR/trace-context/),
 * read and written here without an SDK: the gateway keeps a webhook's trace context with its event
 * and forwards it to destinations even when no OpenTelemetry SDK is registered (then the API's
 * propagator is a no-op and would drop it).
 */

/** `version-traceid-parentid-flags`; a future version may append fields after a dash. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

/** The span context a `traceparent` value names, or undefined when it is not a valid one. */
export function parseTraceParent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined
  const match = TRACEPARENT.exec(value.trim())
  if (!match) return undefined
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ]
  // Version ff is invalid; version 00 has exactly four fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true }
}

/** The `traceparent` value (version 00) of a span context. */
export function formatTraceParent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-0${context.traceFlags & TraceFlags.SAMPLED}`
}

/** The trace id of a stored `traceparent`, or null. */
export function traceIdOf(traceParent: string | null | undefined): string | null {
  return parseTraceParent(traceParent)?.traceId ?? null
}

/** The spec's limits on a `tracestate`: what a vendor must be able to pass on, and its list size. */
const TRACESTATE_MAX_LENGTH = 512
const TRACESTATE_MAX_MEMBERS = 32

/**
 * The vendor data of a `tracestate` value, or undefined when there is none worth keeping. Only
 * meaningful next to a valid `traceparent` (the spec ignores a tracestate without one); callers
 * check that. A value over 512 characters or with more than 32 list members is not a valid
 * tracestate and is dropped whole — forwarding a cut list would hand vendors a state their own
 * tracer never wrote. Malformed members are dropped one by one (`createTraceState` does that, as
 * the SDK's W3C propagator does), so the no-SDK path keeps what an SDK would. Never throws: a bad
 * header costs the trace context, never the webhook.
 */
export function parseTraceState(value: unknown): TraceState | undefined {
  // Several `tracestate` headers are one list (the spec); Node joins repeats with ", " already.
  const text = Array.isArray(value) ? value.join(',') : value
  if (typeof text !== 'string' || text.length > TRACESTATE_MAX_LENGTH) return undefined
  // Empty and whitespace-only members are allowed and do not count.
  const members = text.split(',').filter((member) => member.trim() !== '')
  if (members.length === 0 || members.length > TRACESTATE_MAX_MEMBERS) return undefined
  const state = createTraceState(text)
  return state.serialize() === '' ? undefined : state
}

/**
 * The `tracestate` value of a trace state (an SDK's, a sampler's), or null when it is empty or
 * beyond the spec's limits: what is stored and sent is always a valid header.
 */
export function formatTraceState(state: TraceState | undefined): string | null {
  return parseTraceState(state?.serialize())?.serialize() ?? null
}
