import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../errors.js'
import {
  answerMounted,
  bodyAlreadyRead,
  type MountOptions,
  mountPath,
  notMountedAnswer,
} from './mounted-request.js'
import { tooLarge, type WebhookEndpoint } from './webhook-endpoint.js'

/** `(request) => Promise<Response>`: Hono, Next.js App Router route handlers, any Fetch-API server. */
export type FetchHandler = (request: Request) => Promise<Response>

/**
 * The ingest route for Fetch-API runtimes. It reads `request.body` itself, within MAX_BODY_BYTES; a
 * body already used (`await request.json()` earlier) is refused with `body_already_read`. Paths
 * that are not `<path>/<source>` get the catalog's 404: route only the webhook path to it.
 */
export function fetchHandler(
  endpoint: () => Promise<WebhookEndpoint>,
  options: MountOptions = {},
): FetchHandler {
  const path = mountPath(options)
  return async (request) => {
    const mounted = {
      method: request.method,
      pathname: new URL(request.url).pathname,
      headers: headersOf(request.headers),
      readBody: (limit: number) => readFetchBody(request, limit),
    }
    const answer = (await answerMounted(endpoint, mounted, path)) ?? notMountedAnswer(mounted)
    return new Response(answer.body, { status: answer.status, headers: answer.headers })
  }
}

/** Fetch's Headers as node:http's: lower-case names, repeated values joined (as Node joins most). */
function headersOf(headers: Headers): IncomingHttpHeaders {
  const result: IncomingHttpHeaders = {}
  headers.forEach((value, name) => {
    result[name] = value
  })
  return result
}

async function readFetchBody(request: Request, limit: number): Promise<Buffer> {
  if (request.bodyUsed) throw bodyAlreadyRead('request.bodyUsed is true')
  if (request.body === null) return Buffer.alloc(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      length += value.length
      if (length > limit) {
        await reader.cancel().catch(() => {})
        throw tooLarge(limit)
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof GatewayError) throw error
    throw new GatewayError(
      'invalid_request',
      `the request body could not be read: ${(error as Error).message}`,
    )
  } finally {
    reader.releaseLock()
  }
  return Buffer.concat(chunks, length)
}
