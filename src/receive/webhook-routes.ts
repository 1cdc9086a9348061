import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { publishedType, type TypeMapper } from '../catalog/index.js'
import { parseFormBody, parseJsonBody } from '../catalog/parse-body.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import { planDeliveries } from '../dispatch/subscribers.js'
import { GatewayError, RETRY_AFTER_SECONDS } from '../errors.js'
import { newId } from '../ids.js'
import { type LiveStream, liveEvent } from '../observe/live-stream.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import type { NewEvent, Verification } from '../store/types.js'
import { fingerprint } from '../verify/index.js'
import { classifyGhl, classifyOther, contentHashOf } from './classify-event.js'
import type { Ingestor } from './ingestor.js'
import type { MediaType, SourceRuntime } from './sources.js'

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
  /** True once shutdown began: new webhooks get 503 so the sender retries elsewhere or later. */
  isDraining: () => boolean
  now?: () => number
  /** Committed events are published here for GET /api/stream (`ghl-gateway tail`). */
  liveStream?: LiveStream
}

const MEDIA_TYPES: Record<string, MediaType> = {
  'application/json': 'json',
  'application/x-www-form-urlencoded': 'form',
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
      return await accept(request, reply, submitted)
    } finally {
      submitted()
    }
  }

  const accept = async (
    request: FastifyRequest<{ Params: WebhookParams }>,
    reply: FastifyReply,
    submitted: () => void,
  ) => {
    const source = request.webhookSource!
    const raw = (request.body as Buffer | undefined) ?? Buffer.alloc(0)
    const receivedAt = now()
    const flags: string[] = []

    const verifyStart = performance.now()
    const verifyRequest = {
      rawBody: raw,
      headers: request.headers,
      urlToken: source.secretInUrl ? request.params.token : undefined,
      now: receivedAt,
    }
    const { verifier } = source
    const outcome = verifier.verifyAsync
      ? await verifier.verifyAsync(verifyRequest)
      : verifier.verify(verifyRequest)
    metrics.verifySeconds.observe({ scheme: outcome.scheme }, (performance.now() - verifyStart) / 1000)
    let verification: Verification
    if (outcome.ok) {
      verification = { scheme: outcome.scheme, verified: outcome.scheme !== 'none', keyId: outcome.keyId }
    } else if (source.acceptUnverified) {
      verification = { scheme: outcome.scheme, verified: false, failure: outcome.code }
      flags.push('unverified')
    } else {
      throw new GatewayError(outcome.code, outcome.message)
    }

    const form = mediaTypeOf(request.headers['content-type']) === 'form'
    const body = form ? parseFormBody(raw) : parseJsonBody(raw)
    if (source.isGhl && (typeof body !== 'object' || body === null)) {
      throw new GatewayError('invalid_payload', 'a GHL webhook body must be a JSON object or array')
    }
    const hint = source.isGhl ? request.params.token : undefined
    const { fields, webhookId, dedupeKey } = source.isGhl
      ? classifyGhl(body, hint, flags)
      : classifyOther(
          source,
          body,
          form,
          {
            headerId: source.idHeader ? headerText(request.headers[source.idHeader]) : undefined,
            verifiedId: outcome.ok ? outcome.senderEventId : undefined,
            signedAt: outcome.ok ? outcome.signedAt : undefined,
          },
          flags,
        )
    if (options.ghlTimestampWindowMs !== null && source.isGhl && fields.sentAt !== null) {
      if (Math.abs(receivedAt - Date.parse(fields.sentAt)) > options.ghlTimestampWindowMs) {
        flags.push('timestamp_outside_window')
      }
    }
    const contentHash = contentHashOf(raw)

    const event: NewEvent = {
      id: newId('evt', receivedAt),
      source: source.id,
      // No sender id: identical bytes are the same event (GHL retries send the same payload).
      dedupeKey: dedupeKey ?? contentHash,
      webhookId,
      receivedAt,
      contentType: request.headers['content-type'] ?? '',
      headers: keptHeaders(source, request),
      rawBody: raw,
      contentHash,
      verification,
      flags,
      eventHint: hint ?? null,
      ...fields,
      deliveries: [],
    }
    const subscribers = options.registry.list()
    if (subscribers.length) {
      const type = publishedType(event, options.types)
      event.deliveries = planDeliveries({ source: source.id, type, event, body }, subscribers, receivedAt)
    }
    submitted()
    const result = await ingestor.submit(event)
    if (options.liveStream?.active) options.liveStream.publish(liveEvent(event, result, options.types))

    metrics.webhooks.inc({ source: source.id, outcome: result.status })
    if (!verification.verified && source.acceptUnverified) metrics.unverified.inc({ source: source.id })
    const latencyUs = Math.round(reply.elapsedTime * 1000)
    metrics.ackSeconds.observe({ outcome: result.status }, latencyUs / 1e6)
    if (fields.eventName !== null && result.status === 'accepted') {
      metrics.classified.inc({ name: fields.eventName, schema: fields.schemaStatus ?? 'unknown' })
    }
    const line = {
      requestId: request.id,
      eventId: result.eventId,
      source: source.id,
      type: fields.eventType,
      ghlType: fields.ghlType,
      webhookId,
      locationId: fields.locationId,
      outcome: result.status,
      bytes: raw.length,
      latencyUs,
    }
    if (flags.includes('unverified')) {
      logger.warn(
        { ...line, unverified: true, failure: verification.failure },
        'webhook accepted WITHOUT a valid signature (GHL_SIGNATURE_MODE=off)',
      )
    } else {
      logger.info(line, 'webhook')
    }
    reply.header('x-request-id', request.id)
    return { status: result.status, eventId: result.eventId }
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

const MEDIA_FORM = 'application/x-www-form-urlencoded'

function mediaTypeOf(header: string | undefined): MediaType | undefined {
  if (!header) return undefined
  const semicolon = header.indexOf(';')
  return MEDIA_TYPES[(semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase()]
}

function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function keptHeaders(source: SourceRuntime, request: FastifyRequest): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const name of source.keptHeaders) {
    const value = request.headers[name]
    if (typeof value === 'string') kept[name] = value.length > 512 ? `${value.slice(0, 512)}…` : value
  }
  // Signatures and tokens are credentials (a token replayed is a token stolen): keep a fingerprint
  // that tells two values apart without revealing either.
  for (const name of source.verifier.credentialHeaders) {
    const value = request.headers[name]
    if (typeof value === 'string') kept[name] = fingerprint(value)
  }
  return kept
}
