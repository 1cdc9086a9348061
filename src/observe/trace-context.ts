import { isValidSpanId, isValidTraceId, type SpanContext, TraceFlags } from '@opentelemetry/api'

/**
 * The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/), read and
 * written here without an SDK: the gateway keeps a webhook's trace context with its event and
 * forwards it to destinations even when no OpenTelemetry SDK is registered (then the API's
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
