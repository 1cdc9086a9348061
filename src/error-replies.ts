import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { errorBody, GatewayError, RETRY_AFTER_SECONDS } from './errors.js'
import type { Logger } from './observe/logger.js'
import { tooLarge, type WebhookEndpoint } from './receive/webhook-endpoint.js'
import { recordRejectedWebhook } from './receive/webhook-routes.js'
import type { Store } from './store/types.js'

/**
 * Every error answer of the app, in the catalog's one shape (`{ error: { code, message, requestId } }`):
 * what was thrown is mapped onto a catalog code, a rejected webhook is counted and logged as one,
 * and an unexpected failure is logged with its cause while the client gets a generic 500.
 */

/** Maps anything thrown on the request path onto the error catalog. */
export function toGatewayError(
  error: FastifyError | GatewayError,
  store: Store,
  bodyLimit: number,
): GatewayError {
  if (error instanceof GatewayError) return error
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // Declared (refused before reading) or counted while reading a chunked body.
      return tooLarge(bodyLimit)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type', 'send Content-Type: application/json')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('invalid_json', 'the body is empty; send a JSON object')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // Admin routes parse JSON with Fastify's parser (webhooks keep raw bytes and parse themselves).
      return new GatewayError('invalid_json', 'the body is not valid JSON; send a JSON object')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('invalid_request', 'Content-Length does not match the body that was sent')
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new GatewayError('invalid_request', error.message)
  }
  if (store.isUnavailableError(error) && !(error.statusCode && error.statusCode < 500)) {
    return new GatewayError('storage_unavailable', 'the database is unavailable; retry later', {
      retryAfter: RETRY_AFTER_SECONDS,
      cause: error,
    })
  }
  // A 4xx raised by Fastify or Node (aborted body, bad header) is still the client's mistake.
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return new GatewayError('invalid_request', error.message)
  }
  return new GatewayError('internal_error', 'an unexpected error occurred; it has been logged', {
    cause: error,
  })
}

/**
 * The app's error answer. A webhook rejected on one of the gateway's own webhook routes is counted
 * and logged by the ingest endpoint (the same line whichever adapter received it); other 5xx are
 * logged with their cause here.
 */
export function sendError(
  error: GatewayError,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
  webhooks: WebhookEndpoint,
) {
  const webhookRoute =
    request.webhookSource !== undefined || request.routeOptions.url?.startsWith('/webhooks/') === true
  if (webhookRoute && request.method === 'POST') {
    recordRejectedWebhook(webhooks, request, reply, error)
  } else if (error.statusCode >= 500) {
    logger.error(
      { requestId: request.id, route: request.routeOptions.url, err: error.cause ?? error },
      error.message,
    )
  }
  return replyWithError(reply, error, request.id)
}

/** Writes a catalog error: status, `Retry-After` when it has one, `X-Request-Id`, the one body shape. */
export function replyWithError(reply: FastifyReply, error: GatewayError, requestId: string) {
  if (error.retryAfter !== undefined) reply.header('retry-after', error.retryAfter)
  reply.header('x-request-id', requestId)
  return reply.status(error.statusCode).send(errorBody(error, requestId))
}
