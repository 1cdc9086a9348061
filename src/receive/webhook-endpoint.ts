import type { IncomingHttpHeaders } from 'node:http'
import type { TypeMapper } from '../catalog/index.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import { GatewayError, RETRY_AFTER_SECONDS } from '../errors.js'
import { newId } from '../ids.js'
import { type LiveStream, liveEvent } from '../observe/live-stream.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import { type IngestSpan, traceIngest } from '../observe/tracing.js'
import type { InsertOutcome, NewEvent } from '../store/types.js'
import type { Ingestor } from './ingestor.js'
import { MEDIA_FORM, mediaTypeOf } from './media-types.js'
import { buildNewEvent, type ReceivedWebhook, type UninstalledLocations } from './new-event.js'
import type { SourceRuntime } from './sources.js'

/**
 * The ingest endpoint without a web framework: what `POST /webhooks/:source` does, whichever
 * server received the request. The gateway's own Fastify routes, the Fastify plugin, `nodeHandler()`
 * and `fetchHandler()` are thin adapters over it: they read the raw bytes their own way and answer
 * what this returns, so checks, error codes, store-before-ack, dedupe, back-pressure, metrics and
 * log lines are one implementation.
 */

export interface WebhookEndpointOptions {
  sources: ReadonlyMap<string, SourceRuntime>
  /** Who wants events: deliveries are planned here and committed with the event. */
  registry: SubscriberRegistry
  types: TypeMapper
  ingestor: Ingestor
  metrics: Metrics
  logger: Logger
  maxBodyBytes: number
  /** Flag GHL events whose body timestamp is further than this from now; null = off. */
  ghlTimestampWindowMs: number | null
  /** Uninstalled locations of the GHL app (new-event.ts). */
  ghlUninstalled?: UninstalledLocations
  /** True once shutdown began: new webhooks get 503 so the sender retries elsewhere or later. */
  isDraining: () => boolean
  /** GHL's readiness check (`GET /webhooks/ghl/verify`): resolves when webhooks can be taken. */
  ready: () => Promise<void>
  /** Maps anything thrown on the request path onto the error catalog (the app's one mapping). */
  toError: (thrown: unknown) => GatewayError
  now?: () => number
  /** Committed events are published here for GET /api/stream (`ghl-gateway tail`). */
  liveStream?: LiveStream
}

/** One webhook request as every adapter sees it before its body is read. */
export interface WebhookRequest {
  /** The path segment after the mount path: the source's id. */
  sourceId: string
  /** The segment after the source: a secret URL's credential, or a GHL per-event URL's event name. */
  segment: string | undefined
  headers: IncomingHttpHeaders
  requestId: string
  /** Milliseconds since the request arrived (latency metrics and log lines). */
  elapsedMs: () => number
}

/** The 200 answer: the body every adapter sends for an accepted or duplicate webhook. */
export interface WebhookAck {
  status: InsertOutcome['status']
  eventId: string
}

export interface WebhookEndpoint {
  readonly maxBodyBytes: number
  /**
   * The checks that need no body, cheapest first, each with its own answer: unknown source 404 →
   * draining 503 → back-pressure 429 → media type 415. Throws a GatewayError. The adapter checks
   * the size next (413), before and while reading the body, then calls `accept`.
   */
  check(request: WebhookRequest): SourceRuntime
  /**
   * Verify → build the event (parse, classify, dedupe key, flags, deliveries) → commit → publish →
   * count and log. Resolves once the event is durable; the adapter then answers 200 with the ack.
   */
  accept(request: WebhookRequest, source: SourceRuntime, rawBody: Buffer): Promise<WebhookAck>
  /** Counts and logs a rejected webhook; `source` is undefined when the source was not found. */
  rejected(request: WebhookRequest, source: SourceRuntime | undefined, error: GatewayError): void
  toError(thrown: unknown): GatewayError
  /** GHL's readiness check: resolves when webhooks can be taken, else throws the 503 to answer. */
  ready(): Promise<void>
  /**
   * Runs one adapter request to its end, counted so that shutdown waits for it (the gateway's own
   * server waits for its open requests; a mounted handler's server is not the gateway's to close).
   */
  track<T>(work: () => Promise<T>): Promise<T>
  /** Resolves when no tracked request is in progress. */
  settled(): Promise<void>
}

/** GHL per-event URLs name the event: `/webhooks/ghl/InvoiceCreate`. Unknown names are kept, not refused. */
const EVENT_HINT = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

/** An `X-Request-Id` we echo and log rather than replace with our own. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/

/** The sender's request id when it is a sane one, else a new `req_` id. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id']
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId('req')
}

/** 413: the body is over MAX_BODY_BYTES, declared or counted while reading (every adapter's answer). */
export function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    'payload_too_large',
    `the body is larger than the limit (MAX_BODY_BYTES, ${limit} bytes)`,
  )
}

export function createWebhookEndpoint(options: WebhookEndpointOptions): WebhookEndpoint {
  const { sources, ingestor, metrics, logger, maxBodyBytes } = options
  const now = options.now ?? Date.now
  let inProgress = 0
  let idle: (() => void) | undefined

  const check = (request: WebhookRequest): SourceRuntime => {
    const source = sources.get(request.sourceId)
    if (!source) {
      throw new GatewayError('unknown_source', `no webhook source "${request.sourceId}" is configured`, {
        details: { configured: [...sources.keys()] },
      })
    }
    const segment = request.segment
    if (segment !== undefined && !source.secretInUrl && !(source.isGhl && EVENT_HINT.test(segment))) {
      throw new GatewayError(
        'not_found',
        source.isGhl
          ? 'a GHL per-event URL ends in an event name, e.g. /webhooks/ghl/InvoiceCreate'
          : `source "${source.id}" takes webhooks at /webhooks/${source.id} only`,
      )
    }
    if (options.isDraining()) {
      throw new GatewayError('shutting_down', 'the gateway is shutting down; retry shortly', {
        retryAfter: RETRY_AFTER_SECONDS,
      })
    }
    if (ingestor.overHighWater()) {
      throw new GatewayError('backpressure', 'too many webhooks are waiting to be processed; retry shortly', {
        retryAfter: RETRY_AFTER_SECONDS,
      })
    }
    const contentType = request.headers['content-type']
    const media = mediaTypeOf(contentType)
    if (media === undefined || !source.mediaTypes.has(media)) {
      const accepted = [...source.mediaTypes]
        .map((m) => (m === 'json' ? 'application/json' : MEDIA_FORM))
        .join(' or ')
      throw new GatewayError(
        'unsupported_media_type',
        `send Content-Type: ${accepted} (got ${contentType ?? 'none'})`,
      )
    }
    return source
  }

  // Allocations and awaits here are measured (bench/paired.ts ingest): a sync verifier is not awaited.
  const accept = async (request: WebhookRequest, source: SourceRuntime, rawBody: Buffer) => {
    // With INGEST_COMMIT_HOLD > 0, a commit waits a moment for this request to submit (or be rejected).
    const submitted = ingestor.expect()
    try {
      return await traceIngest(source.id, request.headers, (ingest) =>
        verifyAndStore(request, source, rawBody, submitted, ingest),
      )
    } finally {
      submitted()
    }
  }

  const verifyAndStore = async (
    request: WebhookRequest,
    source: SourceRuntime,
    rawBody: Buffer,
    submitted: () => void,
    ingest: IngestSpan,
  ): Promise<WebhookAck> => {
    const received: ReceivedWebhook = {
      source,
      rawBody,
      headers: request.headers,
      segment: request.segment,
      urlToken: source.secretInUrl ? request.segment : undefined,
      now: now(),
      traceParent: ingest.traceParent,
      traceState: ingest.traceState,
    }
    const verifyStart = performance.now()
    const { verifier } = source
    const outcome = verifier.verifyAsync ? await verifier.verifyAsync(received) : verifier.verify(received)
    metrics.verifySeconds.observe({ scheme: outcome.scheme }, (performance.now() - verifyStart) / 1000)
    const event = buildNewEvent(received, outcome, options)
    submitted()
    const result = await ingestor.submit(event)
    ingest.stored(event, result)
    if (options.liveStream?.active) options.liveStream.publish(liveEvent(event, result, options.types))
    recordAccepted(request, source, event, result)
    return { status: result.status, eventId: result.eventId }
  }

  /** Counts and logs one committed webhook (accepted or duplicate). */
  const recordAccepted = (
    request: WebhookRequest,
    source: SourceRuntime,
    event: NewEvent,
    result: InsertOutcome,
  ) => {
    metrics.webhooks.inc({ source: source.id, outcome: result.status })
    if (!event.verification.verified && source.acceptUnverified) metrics.unverified.inc({ source: source.id })
    const latencyUs = Math.round(request.elapsedMs() * 1000)
    metrics.ackSeconds.observe({ outcome: result.status }, latencyUs / 1e6)
    if (event.eventName !== null && result.status === 'accepted') {
      metrics.classified.inc({ name: event.eventName, schema: event.schemaStatus ?? 'unknown' })
    }
    const line = {
      requestId: request.requestId,
      eventId: result.eventId,
      source: source.id,
      type: event.eventType,
      ghlType: event.ghlType,
      webhookId: event.webhookId,
      locationId: event.locationId,
      outcome: result.status,
      bytes: event.rawBody.length,
      latencyUs,
    }
    if (event.flags.includes('unverified')) {
      logger.warn(
        { ...line, unverified: true, failure: event.verification.failure },
        'webhook accepted WITHOUT a valid signature (GHL_SIGNATURE_MODE=off)',
      )
    } else {
      logger.info(line, 'webhook')
    }
  }

  const rejected = (request: WebhookRequest, source: SourceRuntime | undefined, error: GatewayError) => {
    const label = source?.id ?? '(unknown)'
    const elapsedMs = request.elapsedMs()
    metrics.webhooks.inc({ source: label, outcome: 'rejected' })
    metrics.rejected.inc({ source: label, reason: error.code })
    metrics.ackSeconds.observe({ outcome: 'rejected' }, elapsedMs / 1000)
    // The source, never the URL: a secret-URL source carries its credential in the path.
    logger[error.statusCode >= 500 ? 'error' : 'info'](
      {
        requestId: request.requestId,
        source: label,
        outcome: 'rejected',
        code: error.code,
        status: error.statusCode,
        bytes: Number(request.headers['content-length'] ?? 0),
        latencyUs: Math.round(elapsedMs * 1000),
        err: error.statusCode >= 500 ? error.cause : undefined,
      },
      `webhook rejected: ${error.message}`,
    )
  }

  return {
    maxBodyBytes,
    check,
    accept,
    rejected,
    toError: options.toError,
    ready: options.ready,
    async track(work) {
      inProgress++
      try {
        return await work()
      } finally {
        inProgress--
        if (inProgress === 0) idle?.()
      }
    },
    settled() {
      if (inProgress === 0) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const previous = idle
        idle = () => {
          idle = undefined
          previous?.()
          resolve()
        }
      })
    },
  }
}
