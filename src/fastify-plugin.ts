import type { FastifyPluginAsync } from 'fastify'
import { replyWithError } from './error-replies.js'
import type { Gateway } from './gateway.js'
import type { MountOptions } from './receive/mounted-request.js'
import { recordRejectedWebhook, webhookRoutes } from './receive/webhook-routes.js'
import { VERSION } from './version.js'

/**
 * The gateway's webhook routes in an application's Fastify instance:
 *
 * ```ts
 * import { ghlGateway } from 'ghl-gateway/fastify'
 * await app.register(ghlGateway, { gateway: gw })   // POST /webhooks/<source>
 * ```
 *
 * The routes are the gateway's own (src/receive/webhook-routes.ts) in their own encapsulated scope:
 * their raw-body parser and error answers do not change the application's other routes, which keep
 * their JSON parser and error handler.
 */

export interface GhlGatewayPluginOptions extends MountOptions {
  /** The gateway (`createGateway()`); the plugin starts it (`gw.start()`) if nothing has yet. */
  gateway: Gateway
  /** Close the gateway when the Fastify instance closes (`app.close()`). @default true */
  closeWithFastify?: boolean
}

export const ghlGateway: FastifyPluginAsync<GhlGatewayPluginOptions> = async (fastify, options) => {
  const { gateway } = options
  await gateway.start()
  const endpoint = gateway.running!.app.endpoint
  if (options.closeWithFastify ?? true) fastify.addHook('onClose', () => gateway.close())
  fastify.setErrorHandler((error, request, reply) => {
    const gatewayError = endpoint.toError(error)
    if (request.method === 'POST') recordRejectedWebhook(endpoint, request, reply, gatewayError)
    return replyWithError(reply, gatewayError, request.id)
  })
  const prefix = options.path ?? '/webhooks'
  // GHL's readiness check, as the gateway's own server answers it.
  fastify.get(`${prefix}/ghl/verify`, async () => {
    await endpoint.ready()
    return { status: 'ready', version: VERSION }
  })
  await fastify.register(webhookRoutes, { endpoint, prefix })
}
