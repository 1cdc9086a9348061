import type { IncomingHttpHeaders } from 'node:http'
import { errorBody, GatewayError } from '../errors.js'
import { VERSION } from '../version.js'
import type { SourceRuntime } from './sources.js'
import { requestIdOf, tooLarge, type WebhookEndpoint, type WebhookRequest } from './webhook-endpoint.js'

/**
 * One request to a mounted handler (`nodeHandler()`, `fetchHandler()`), whatever the server: match
 * the path, run the endpoint's checks, read the body within the limit, accept, and answer exactly
 * what the gateway's own routes answer. The adapters only translate their request and response.
 */

/** The source whose readiness check GHL calls: `<path>/ghl/verify`. */
const GHL_SOURCE = 'ghl'

/** A request as the adapters hand it over: the body is read only once the checks passed. */
export interface MountedRequest {
  method: string
  /** The path without the query string, as the application routed it. */
  pathname: string
  headers: IncomingHttpHeaders
  /** Reads the raw body; rejects with `payload_too_large` past `limit` bytes, `body_already_read` if consumed. */
  readBody(limit: number): Promise<Buffer>
}

export interface MountedAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

export interface MountOptions {
  /**
   * Where the webhook routes are mounted: requests to `<path>/<source>` (and
   * `<path>/<source>/<token>`) are webhooks, like the gateway's own `/webhooks/<source>`. Other paths
   * go to `next()` (Express, Connect) or get a 404. @default '/webhooks'
   */
  path?: string
}

/** The mount path, normalised: no trailing slash, '' for the root. */
export function mountPath(options: MountOptions = {}): string {
  const path = options.path ?? '/webhooks'
  if (path !== '' && !path.startsWith('/')) throw new TypeError(`path must start with "/" (got "${path}")`)
  return path.endsWith('/') ? path.slice(0, -1) : path
}

/** `<path>/<source>[/<token>]` → its segments, or undefined for any other path. */
export function matchMountPath(
  pathname: string,
  path: string,
): { sourceId: string; segment: string | undefined } | undefined {
  if (!pathname.startsWith(`${path}/`)) return undefined
  const rest = pathname.slice(path.length + 1).split('/')
  if (rest.length > 2 || rest[0] === '' || rest[1] === '') return undefined
  try {
    return {
      sourceId: decodeURIComponent(rest[0]!),
      segment: rest[1] === undefined ? undefined : decodeURIComponent(rest[1]),
    }
  } catch {
    return undefined
  }
}

/** The answer to a request to the mount path; undefined when the path is not the gateway's. */
export async function answerMounted(
  endpointOf: () => Promise<WebhookEndpoint>,
  request: MountedRequest,
  path: string,
): Promise<MountedAnswer | undefined> {
  const match = matchMountPath(request.pathname, path)
  if (!match) return undefined
  const started = performance.now()
  let endpoint: WebhookEndpoint
  try {
    endpoint = await endpointOf()
  } catch (thrown) {
    // Not started: nothing to count it in yet.
    if (thrown instanceof GatewayError) return errorAnswer(thrown, requestIdOf(request.headers))
    throw thrown
  }
  const webhook: WebhookRequest = {
    ...match,
    headers: request.headers,
    requestId: requestIdOf(request.headers),
    elapsedMs: () => performance.now() - started,
  }
  if (request.method === 'GET' && match.sourceId === GHL_SOURCE && match.segment === 'verify') {
    return readinessAnswer(endpoint, webhook.requestId)
  }
  if (request.method !== 'POST') {
    const error = new GatewayError('method_not_allowed', 'webhooks are delivered with POST')
    return errorAnswer(error, webhook.requestId, { allow: 'POST' })
  }
  return endpoint.track(async () => {
    let source: SourceRuntime | undefined
    try {
      source = endpoint.check(webhook)
      const declared = Number(request.headers['content-length'])
      if (declared > endpoint.maxBodyBytes) throw tooLarge(endpoint.maxBodyBytes)
      const rawBody = await request.readBody(endpoint.maxBodyBytes)
      const ack = await endpoint.accept(webhook, source, rawBody)
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': webhook.requestId },
        body: JSON.stringify(ack),
      }
    } catch (thrown) {
      const error = endpoint.toError(thrown)
      endpoint.rejected(webhook, source, error)
      return errorAnswer(error, webhook.requestId)
    }
  })
}

export function bodyAlreadyRead(how: string): GatewayError {
  return new GatewayError(
    'body_already_read',
    `the request body was already read (${how}), so its signature cannot be checked on the exact bytes ` +
      'GHL signed: mount the gateway’s handler before any body parser such as express.json(), or exclude ' +
      'its path from them',
  )
}

/** GHL's readiness check, as the gateway's own `GET /webhooks/ghl/verify` answers it. */
async function readinessAnswer(endpoint: WebhookEndpoint, requestId: string): Promise<MountedAnswer> {
  try {
    await endpoint.ready()
  } catch (thrown) {
    return errorAnswer(endpoint.toError(thrown), requestId)
  }
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId },
    body: JSON.stringify({ status: 'ready', version: VERSION }),
  }
}

/** The catalog's 404 for a path that is not the gateway's, where no `next()` can take it. */
export function notMountedAnswer(
  request: Pick<MountedRequest, 'method' | 'pathname' | 'headers'>,
): MountedAnswer {
  const error = new GatewayError('not_found', `no route ${request.method} ${request.pathname}`)
  return errorAnswer(error, requestIdOf(request.headers))
}

function errorAnswer(
  error: GatewayError,
  requestId: string,
  extra: Record<string, string> = {},
): MountedAnswer {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': requestId,
    ...extra,
  }
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter)
  return { status: error.statusCode, headers, body: JSON.stringify(errorBody(error, requestId)) }
}
