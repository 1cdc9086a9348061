import type { IncomingHttpHeaders } from 'node:http'
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { GatewayError } from '../errors.js'
import { VERSION } from '../version.js'
import {
  formatTraceParent,
  formatTraceState,
  parseTraceParent,
  parseTraceState,
  traceIdOf,
} from './trace-context.js'

/**
 * OpenTelemetry spans, through `@opentelemetry/api` only: the application registers an SDK and an
 * exporter (docs/operations.md, "Tracing"); without one every span here is the API's no-op span,
 * and attributes are built only when a span is recording.
 *
 * - `receive <source>`: one webhook from verification to its durable insert (or refusal). Its
 *   parent is the `traceparent` (and `tracestate`) the sender sent, or the HTTP server span of an
 *   instrumented app.
 * - `ghl <operation>`: one request to GHL's API (CLIENT), a child of whatever span is active — a
 *   handler's attempt span for `ctx.ghl`.
 * - `process <subscriber>` (a handler, CONSUMER) / `send <subscriber>` (a destination, CLIENT): one
 *   delivery attempt. It links to the ingest span, whose context is stored with the event. The first
 *   attempt is also its child: sender, gateway and destination form one trace. Retries and replays
 *   start a trace of their own (still linked): they run minutes to days later, and a trace left open
 *   that long is one that trace stores cut off or never assemble — the messaging conventions use
 *   links for exactly this.
 */

const TRACER_NAME = 'ghl-gateway'

let provider: TracerProvider | undefined
let tracer: Tracer | undefined

/** The gateway's tracer, taken again only when the global provider object changes (`trace.disable()`). */
function gatewayTracer(): Tracer {
  const current = trace.getTracerProvider()
  if (current !== provider || tracer === undefined) {
    provider = current
    tracer = current.getTracer(TRACER_NAME, VERSION)
  }
  return tracer
}

/** What the ingest wrapper gives the steps it wraps. */
export interface IngestSpan {
  /**
   * Kept with the event (`traceParent`): the ingest span's context; with no SDK, the sender's own
   * `traceparent` (the no-op span carries its parent's context). Null when there is neither.
   */
  readonly traceParent: string | null
  /**
   * Kept with the event (`traceState`) next to `traceParent`, as the spec has whoever propagates a
   * traceparent propagate its tracestate: the ingest span's (the propagator's, inherited from the
   * sender); with no SDK, the sender's own. Null when there is no traceParent or no vendor data.
   */
  readonly traceState: string | null
  /** The event was stored, or recognised as a duplicate (then `eventId` is the stored one's). */
  stored(
    event: { ghlType: string | null; eventType: string | null },
    result: { status: string; eventId: string },
  ): void
}

/**
 * Runs the ingest steps of one webhook (verify → store) in a `receive <source>` span. A refusal
 * (thrown) ends it with the error's code; the error is thrown on unchanged.
 */
export async function traceIngest<T>(
  source: string,
  headers: IncomingHttpHeaders,
  run: (ingest: IngestSpan) => Promise<T>,
): Promise<T> {
  const active = context.active()
  // Inside an instrumented HTTP server span, ours is its child and not a second SERVER span.
  const nested = trace.getSpan(active) !== undefined
  const parent = nested ? active : incomingContext(headers)
  const span = gatewayTracer().startSpan(
    `receive ${source}`,
    { kind: nested ? SpanKind.INTERNAL : SpanKind.SERVER },
    parent,
  )
  const recording = span.isRecording()
  if (recording) {
    span.setAttributes({
      'messaging.system': TRACER_NAME,
      'messaging.operation.type': 'receive',
      'messaging.operation.name': 'receive',
      'messaging.destination.name': source,
      'http.request.method': 'POST',
      'http.route': '/webhooks/:source',
    })
  }
  const spanContext = span.spanContext()
  const valid = isSpanContextValid(spanContext)
  const ingest: IngestSpan = {
    traceParent: valid ? formatTraceParent(spanContext) : null,
    traceState: valid ? formatTraceState(spanContext.traceState) : null,
    stored(event, result) {
      if (!recording) return
      span.setAttributes({
        'messaging.message.id': result.eventId,
        'ghl_gateway.outcome': result.status,
        'http.response.status_code': 200,
      })
      if (event.ghlType !== null) span.setAttribute('ghl_gateway.ghl_type', event.ghlType)
      if (event.eventType !== null) span.setAttribute('ghl_gateway.event_type', event.eventType)
    },
  }
  try {
    return await run(ingest)
  } catch (error) {
    if (recording) {
      const code = error instanceof GatewayError ? error.code : errorType(error)
      span.setAttributes({ 'ghl_gateway.outcome': code, 'error.type': code })
      if (error instanceof GatewayError) span.setAttribute('http.response.status_code', error.statusCode)
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : undefined,
      })
    }
    throw error
  } finally {
    span.end()
  }
}

/**
 * The sender's trace context: through the registered propagator, else (none registered, or one
 * that does not read W3C headers) the `traceparent` and `tracestate` headers read here. A
 * tracestate counts only with a valid traceparent (the spec ignores it alone).
 */
function incomingContext(headers: IncomingHttpHeaders): Context {
  const extracted = propagation.extract(ROOT_CONTEXT, headers)
  if (trace.getSpanContext(extracted)) return extracted
  const incoming = parseTraceParent(headers.traceparent)
  if (!incoming) return ROOT_CONTEXT
  const traceState = parseTraceState(headers.tracestate)
  return trace.setSpanContext(ROOT_CONTEXT, traceState ? { ...incoming, traceState } : incoming)
}

/** What an attempt span needs to know about its subscriber. */
export interface TracedSubscriber {
  id: string
  kind: 'handler' | 'destination'
  /** Extra attributes of its attempt spans (a destination: its method and origin). */
  traceAttributes?: Attributes
}

/** What an attempt span needs to know about its delivery. */
export interface TracedDelivery {
  id: string
  eventId: string
  attempts: number
  totalAttempts: number
  cycle: number
  event: { traceParent?: string | null | undefined; traceState?: string | null | undefined }
}

/** One delivery attempt's span, from its start to its outcome. */
export interface AttemptSpan {
  /**
   * The `traceparent` a destination request carries: the attempt span's; with no SDK, the one
   * stored with the event, so the destination still continues the sender's trace. Null when none.
   */
  readonly traceParent: string | null
  /**
   * The `tracestate` sent next to `traceParent`: the attempt span's (a first attempt inherits the
   * ingest span's); with no SDK, the one stored with the event. Null when there is none.
   */
  readonly traceState: string | null
  /** Stored on the attempt (`dlq show`, the console): the trace of `traceParent`. */
  readonly traceId: string | null
  /** Runs `fn` with the attempt span active: a handler's own spans nest under it. */
  run<T>(fn: () => T): T
  /** Ends the span with the attempt's outcome (the worker's `outcome` label). */
  end(outcome: string, report: { error?: Error; response?: Record<string, unknown> }): void
}

export function startAttemptSpan(subscriber: TracedSubscriber, delivery: TracedDelivery): AttemptSpan {
  const stored = delivery.event.traceParent ?? null
  const storedState = delivery.event.traceState ?? null
  const ingest = ingestContext(stored, storedState)
  // Always from the root: the worker's loop may run in whatever context woke it (an ingest request).
  const parent =
    ingest && delivery.totalAttempts === 1 ? trace.setSpanContext(ROOT_CONTEXT, ingest) : ROOT_CONTEXT
  const destination = subscriber.kind === 'destination'
  const span = gatewayTracer().startSpan(
    `${destination ? 'send' : 'process'} ${subscriber.id}`,
    {
      kind: destination ? SpanKind.CLIENT : SpanKind.CONSUMER,
      links: ingest ? [{ context: ingest }] : undefined,
    },
    parent,
  )
  const recording = span.isRecording()
  if (recording) {
    span.setAttributes({
      'messaging.system': TRACER_NAME,
      'messaging.operation.type': destination ? 'send' : 'process',
      'messaging.operation.name': destination ? 'send' : 'process',
      'messaging.destination.name': subscriber.id,
      'messaging.message.id': delivery.eventId,
      'ghl_gateway.delivery_id': delivery.id,
      'ghl_gateway.subscriber.kind': subscriber.kind,
      'ghl_gateway.attempt': delivery.attempts,
      'ghl_gateway.cycle': delivery.cycle,
    })
    if (subscriber.traceAttributes) span.setAttributes(subscriber.traceAttributes)
  }
  const own = span.spanContext()
  const valid = isSpanContextValid(own)
  return {
    traceParent: valid ? formatTraceParent(own) : stored,
    // With no SDK the stored traceparent goes out, so its own tracestate goes with it.
    traceState: formatTraceState(valid ? own.traceState : ingest?.traceState),
    traceId: valid ? own.traceId : traceIdOf(stored),
    run: (fn) => (valid ? context.with(trace.setSpan(ROOT_CONTEXT, span), fn) : fn()),
    end(outcome, report) {
      if (recording) endAttempt(span, outcome, report)
      span.end()
    },
  }
}

/**
 * The ingest span's context as stored with the event, its tracestate included: the first attempt,
 * its child, inherits that state, so its destination request (and what a handler's instrumented
 * calls inject) carries it on. Undefined when the event kept no trace context.
 */
function ingestContext(traceParent: string | null, traceState: string | null): SpanContext | undefined {
  const ingest = traceParent === null ? undefined : parseTraceParent(traceParent)
  const state = ingest && traceState !== null ? parseTraceState(traceState) : undefined
  return ingest && state ? { ...ingest, traceState: state } : ingest
}

/** One request to GHL's API; `end` with its status (null: no answer) and the error it becomes. */
export interface GhlCallSpan {
  end(status: number | null, error?: Error): void
}

/** `path` without its query (ids, never tokens), as the attempt log keeps it. */
export function startGhlCallSpan(
  method: string,
  apiUrl: string,
  path: string,
  operation: string,
): GhlCallSpan {
  const span = gatewayTracer().startSpan(`ghl ${operation}`, { kind: SpanKind.CLIENT })
  if (!span.isRecording()) return { end: () => span.end() }
  span.setAttributes({
    'http.request.method': method,
    'url.full': `${apiUrl}${path}`,
    'server.address': new URL(apiUrl).hostname,
    'ghl_gateway.ghl.operation': operation,
  })
  return {
    end(status, error) {
      if (status !== null) span.setAttribute('http.response.status_code', status)
      if (status === null || status >= 400) {
        span.setAttribute('error.type', status === null ? errorType(error) : String(status))
        span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message })
      }
      span.end()
    },
  }
}

function endAttempt(
  span: Span,
  outcome: string,
  report: { error?: Error; response?: Record<string, unknown> },
) {
  span.setAttribute('ghl_gateway.outcome', outcome)
  const status = report.response?.status
  if (typeof status === 'number') span.setAttribute('http.response.status_code', status)
  // A deferral (GHL's rate limit) is a wait, not a failure.
  if (report.error && outcome !== 'deferred') {
    span.setAttribute('error.type', errorType(report.error))
    span.recordException(report.error)
    span.setStatus({ code: SpanStatusCode.ERROR, message: report.error.message })
  }
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : 'Error'
}
