import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.js'
import { MEDIA_TYPES } from './media-types.js'
import type { SourceRuntime } from './sources.js'
import type { WebhookEndpoint, WebhookRequest } from './webhook-endpoint.js'

/**
 * The ingest endpoint as Fastify routes: the gateway's own server registers them under `/webhooks`,
 * and the Fastify plugin (`ghl-gateway/fastify`) in an application's instance. Fastify reads the
 * body (its limit answers 413 before and while reading); everything else is the endpoint's.
 */

export interface WebhookRoutesOptions {
  endpoint: WebhookEndpoint
}

declare module 'fastify' {
  interface FastifyRequest {
    webhookSource?: SourceRuntime
    /** The request as the endpoint sees it, built once by the first check. */
    webhook?: WebhookRequest
  }
}

interface WebhookParams {
  source: string
  /** Secret-URL sources: the credential. GHL: the event name of a per-event URL. */
  token?: string
}

/**
 * POST /:source (and /:source/:token for secret URLs) under the prefix the routes are registered
 * with. Cheapest checks first, each with its own answer: unknown source 404 → draining 503 →
 * back-pressure 429 → media type 415 → body size 413 (Fastify, before and while reading) →
 * signature 401 → JSON 400 (syntax, nesting depth, shape) → durable insert → 200. Nothing is stored
 * for any rejection.
 */
export async function webhookRoutes(app: FastifyInstance, options: WebhookRoutesOptions): Promise<void> {
  const { endpoint } = options

  // Bodies stay bytes: the signature is over the exact bytes, so nothing may parse them first.
  // Content-type parsers are scoped to this plugin: an application's other routes keep theirs.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(
    Object.keys(MEDIA_TYPES),
    { parseAs: 'buffer', bodyLimit: endpoint.maxBodyBytes },
    (_request, body, done) => done(null, body),
  )

  const precheck = async (request: FastifyRequest<{ Params: WebhookParams }>, reply: FastifyReply) => {
    const webhook = requestOf(request, reply)
    request.webhook = webhook
    request.webhookSource = endpoint.check(webhook)
  }

  const handler = async (request: FastifyRequest<{ Params: WebhookParams }>, reply: FastifyReply) => {
    const rawBody = (request.body as Buffer | undefined) ?? Buffer.alloc(0)
    const ack = await endpoint.accept(request.webhook!, request.webhookSource!, rawBody)
    reply.header('x-request-id', request.id)
    return ack
  }

  const routeOptions = { onRequest: precheck, handler }
  app.post<{ Params: WebhookParams }>('/:source', routeOptions)
  app.post<{ Params: WebhookParams }>('/:source/:token', routeOptions)
  // A browser or a misconfigured sender gets a useful answer instead of a bare 404.
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/:source',
    handler: async (_request, reply) => {
      reply.header('allow', 'POST')
      throw new GatewayError('method_not_allowed', 'webhooks are delivered with POST')
    },
  })
}

/** The endpoint's view of a request to one of these routes. */
function requestOf(request: FastifyRequest, reply: FastifyReply): WebhookRequest {
  const params = (request.params ?? {}) as Partial<WebhookParams>
  return {
    sourceId: params.source ?? '',
    segment: params.token,
    headers: request.headers,
    requestId: request.id,
    elapsedMs: () => reply.elapsedTime,
  }
}

/**
 * A rejected webhook, counted and logged by the endpoint: `request` is one of the routes above
 * (`webhookSource` is set once its source was found).
 */
export function recordRejectedWebhook(
  endpoint: WebhookEndpoint,
  request: FastifyRequest,
  reply: FastifyReply,
  error: GatewayError,
): void {
  endpoint.rejected(request.webhook ?? requestOf(request, reply), request.webhookSource, error)
}
