import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeMapper } from '../catalog/index.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import { GatewayError, RETRY_AFTER_SECONDS } from '../errors.js'
import { type LiveStream, liveEvent } from '../observe/live-stream.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import { type IngestSpan, traceIngest } from '../observe/tracing.js'
import type { InsertOutcome, NewEvent } from '../store/types.js'
import type { Ingestor } from './ingestor.js'
import { MEDIA_FORM, MEDIA_TYPES, mediaTypeOf } from './media-types.js'
import { buildNewEvent, type ReceivedWebhook, type UninstalledLocations } from './new-event.js'
import type { SourceRuntime } from './sources.js'

export interface WebhookRoutesOptions {
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
  now?: () => number
  /** Committed events are published here for GET /api/stream (`ghl-gateway tail`). */
  liveStream?: LiveStream
}

declare module 'fastify' {
  interface FastifyRequest {
    webhookSource?: SourceRuntime
  }
}

interface WebhookParams {
  source: string
  /** Secret-URL sources: the credential. GHL: the event name of a per-event URL. */
  token?: string
}

/** GHL per-event URLs name the event: `/webhooks/ghl/InvoiceCreate`. Unknown names are kept, not refused. */
const EVENT_HINT = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

/**
 * POST /webhooks/:source (and /webhooks/:source/:token for secret URLs). Cheapest checks first,
 * each with its own answer: unknown source 404 → draining 503 → back-pressure 429 → media type
 * 415 → body size 413 (Fastify, before and while reading) → signature 401 → JSON 400 (syntax,
 * nesting depth, shape) → durable insert → 200. Nothing is stored for any rejection.
 */
export async function webhookRoutes(app: FastifyInstance, options: WebhookRoutesOptions): Promise<void> {
  const { sources, ingestor, metrics, logger } = options
  const now = options.now ?? Date.now

  // Bodies stay bytes: the signature is over the exact bytes, so nothing may parse them first.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    Object.keys(MEDIA_TYPES),
    { parseAs: 'buffer', bodyLimit: options.maxBodyBytes },
    (_request, body, done) => done(null, body),
  )

  const precheck = async (request: FastifyRequest<{ Params: WebhookParams }>, reply: FastifyReply) => {
    const source = sources.get(request.params.source)
    if (!source) {
      throw new GatewayError('unknown_source', `no webhook source "${request.params.source}" is configured`, {
        details: { configured: [...sources.keys()] },
      })
    }
    request.webhookSource = source
    const segment = request.params.token
    if (segment !== undefined && !source.secretInUrl && !(source.isGhl && EVENT_HINT.test(segment))) {
      throw new GatewayError(
        'not_found',
        source.isGhl
          ? 'a GHL per-event URL ends in an event name, e.g. /webhooks/ghl/InvoiceCreate'
          : `source "${source.id}" takes webhooks at /webhooks/${source.id} only`,
      )
    }
    if (options.isDraining()) {
      reply.header('retry-after', RETRY_AFTER_SECONDS)
      throw new GatewayError('shutting_down', 'the gateway is shutting down; retry shortly')
    }
    if (ingestor.overHighWater()) {
      throw new GatewayError('backpressure', 'too many webhooks are waiting to be processed; retry shortly', {
        retryAfter: RETRY_AFTER_SECONDS,
      })
    }
    const media = mediaTypeOf(request.headers['content-type'])
    if (media === undefined || !source.mediaTypes.has(media)) {
      const accepted = [...source.mediaTypes]
        .map((m) => (m === 'json' ? 'application/json' : MEDIA_FORM))
        .join(' or ')
      throw new GatewayError(
        'unsupported_media_type',
        `send Content-Type: ${accepted} (got ${request.headers['content-type'] ?? 'none'})`,
      )
    }
  }

  const handler = async (request: FastifyRequest<{ Params: WebhookParams }>, reply: FastifyReply) => {
    // With INGEST_COMMIT_HOLD > 0, a commit waits a moment for this request to submit (or be rejected).
    const submitted = ingestor.expect()
    try {
      return await traceIngest(request.webhookSource!.id, request.headers, (ingest) =>
        accept(request, reply, submitted, ingest),
      )
    } finally {
      submitted()
    }
  }

  // The steps of an accepted webhook: verify → build the event (pure: parse, classify, dedupe key,
  // flags, deliveries) → commit → publish → count and log. Allocations and awaits here are
  // measured (bench/paired.ts ingest): a sync verifier is not awaited.
  const accept = async (
    request: FastifyRequest<{ Params: WebhookParams }>,
    reply: FastifyReply,
    submitted: () => void,
    ingest: IngestSpan,
  ) => {
    const source = request.webhookSource!
    const received: ReceivedWebhook = {
      source,
      rawBody: (request.body as Buffer | undefined) ?? Buffer.alloc(0),
      headers: request.headers,
      segment: request.params.token,
      urlToken: source.secretInUrl ? request.params.token : undefined,
      now: now(),
      traceParent: ingest.traceParent,
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
    recordAccepted(request, reply, source, event, result)
    reply.header('x-request-id', request.id)
    return { status: result.status, eventId: result.eventId }
  }

  /** Counts and logs one committed webhook (accepted or duplicate). */
  const recordAccepted = (
    request: FastifyRequest,
    reply: FastifyReply,
    source: SourceRuntime,
    event: NewEvent,
    result: InsertOutcome,
  ) => {
    metrics.webhooks.inc({ source: source.id, outcome: result.status })
    if (!event.verification.verified && source.acceptUnverified) metrics.unverified.inc({ source: source.id })
    const latencyUs = Math.round(reply.elapsedTime * 1000)
    metrics.ackSeconds.observe({ outcome: result.status }, latencyUs / 1e6)
    if (event.eventName !== null && result.status === 'accepted') {
      metrics.classified.inc({ name: event.eventName, schema: event.schemaStatus ?? 'unknown' })
    }
    const line = {
      requestId: request.id,
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

  const routeOptions = { onRequest: precheck, handler }
  app.post<{ Params: WebhookParams }>('/webhooks/:source', routeOptions)
  app.post<{ Params: WebhookParams }>('/webhooks/:source/:token', routeOptions)
  // A browser or a misconfigured sender gets a useful answer instead of a bare 404.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/webhooks/:source',
    handler: async (_request, reply) => {
      reply.header('allow', 'POST')
      throw new GatewayError('method_not_allowed', 'webhooks are delivered with POST')
    },
  })
}
