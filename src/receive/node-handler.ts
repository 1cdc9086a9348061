import type { IncomingMessage, ServerResponse } from 'node:http'
import { GatewayError } from '../errors.js'
import {
  answerMounted,
  bodyAlreadyRead,
  type MountOptions,
  mountPath,
  notMountedAnswer,
} from './mounted-request.js'
import { tooLarge, type WebhookEndpoint } from './webhook-endpoint.js'

/** `(req, res, next?)`: node:http's request listener, and Express/Connect middleware. */
export type NodeHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void

/**
 * The ingest route for `node:http`, Express and Connect. It reads the raw body itself; a body that
 * a parser already consumed is refused with `body_already_read` (never re-serialised and
 * verified), except `express.raw()`'s Buffer, which is the exact bytes. Paths that are not
 * `<path>/<source>` go to `next()`, or get the catalog's 404 without one.
 */
export function nodeHandler(
  endpoint: () => Promise<WebhookEndpoint>,
  options: MountOptions = {},
): NodeHandler {
  const path = mountPath(options)
  return (request, response, next) => {
    const url = request.url ?? '/'
    const query = url.indexOf('?')
    const mounted = {
      method: request.method ?? 'GET',
      pathname: query === -1 ? url : url.slice(0, query),
      headers: request.headers,
      readBody: (limit: number) => readNodeBody(request, limit),
    }
    answerMounted(endpoint, mounted, path).then(
      (answer) => {
        if (!answer && next) {
          next()
          return
        }
        const { status, headers, body } = answer ?? notMountedAnswer(mounted)
        // A body over the limit was left unread: close rather than read the rest of it.
        if (status === 413) headers.connection = 'close'
        response.writeHead(status, headers).end(body)
      },
      // answerMounted answers every error itself; this is a bug in writing the answer.
      (error: unknown) => {
        if (next) next(error)
        else response.destroy(error instanceof Error ? error : undefined)
      },
    )
  }
}

/** The raw body, counted while it arrives: past `limit` the rest is not kept and the answer is 413. */
function readNodeBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const parsed = (request as { body?: unknown }).body
  const consumed = request.readableEnded || (request as { _body?: boolean })._body === true
  if (consumed) {
    // express.raw() keeps the exact bytes; anything else (an object, a string) was parsed or decoded.
    if (Buffer.isBuffer(parsed)) {
      if (parsed.length > limit) return Promise.reject(tooLarge(limit))
      return Promise.resolve(parsed)
    }
    return Promise.reject(bodyAlreadyRead(parsed === undefined ? 'the stream has ended' : 'req.body is set'))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let length = 0
    const onData = (chunk: Buffer) => {
      length += chunk.length
      if (length > limit) {
        // Stop keeping it; the 413 closes the connection (Node discards what is still unread).
        cleanUp()
        reject(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      cleanUp()
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length))
    }
    const onError = (error: Error) => {
      cleanUp()
      reject(new GatewayError('invalid_request', `the request body could not be read: ${error.message}`))
    }
    const onAborted = () => onError(new Error('the client closed the connection'))
    const cleanUp = () => {
      request.off('data', onData)
      request.off('end', onEnd)
      request.off('error', onError)
      request.off('aborted', onAborted)
    }
    request.on('data', onData)
    request.on('end', onEnd)
    request.on('error', onError)
    request.on('aborted', onAborted)
  })
}
