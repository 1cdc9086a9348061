import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { formatDuration } from '../duration.js'
import { ERROR_CODES, type ErrorCode, errorBody, GatewayError } from '../errors.js'
import { newId } from '../ids.js'
import { answerThenClose } from './connections.js'

/**
 * Answers that Node's HTTP server or Fastify's router would otherwise write in their own format —
 * an unparseable request, oversized headers, a bad URL, an `Expect` we do not support — written
 * with the error catalog's body instead, so every client sees one shape.
 */

/** Fastify's `frameworkErrors` (before routing): a bad URL or an over-long path segment. */
export function frameworkError(error: Error & { code?: string }): GatewayError {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new GatewayError('invalid_request', 'a path segment is longer than 256 characters')
  }
  return new GatewayError('invalid_request', `the URL cannot be parsed: ${error.message}`)
}

/**
 * Fastify's `clientErrorHandler` (Node's `clientError`): the request could not be parsed or did not
 * arrive in time. Answered after the answers owed to earlier pipelined requests, then closed.
 */
export function clientErrorHandler(requestTimeoutMs: number) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET') {
      socket.destroy()
      return
    }
    const [code, message] = clientError(error.code, requestTimeoutMs)
    answerThenClose(socket, () => writeRaw(socket, code, message))
  }
}

function clientError(nodeCode: string | undefined, requestTimeoutMs: number): [ErrorCode, string] {
  switch (nodeCode) {
    case 'HPE_HEADER_OVERFLOW':
      return ['headers_too_large', 'the request headers are larger than the server accepts (16 KiB)']
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        'request_timeout',
        `the request (headers and body) did not arrive within ${formatDuration(requestTimeoutMs)} (REQUEST_TIMEOUT)`,
      ]
    default:
      return ['invalid_request', `the request is not valid HTTP (${nodeCode ?? 'parse error'})`]
  }
}

/** Node's `checkExpectation`: an `Expect` header other than `100-continue`. */
export function expectationFailed(_request: IncomingMessage, response: ServerResponse): void {
  const error = new GatewayError('expectation_failed', 'only "Expect: 100-continue" is supported')
  const body = JSON.stringify(errorBody(error, newId('req')))
  response.writeHead(error.statusCode, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  })
  response.end(body)
}

function writeRaw(socket: Socket, code: ErrorCode, message: string): void {
  const status = ERROR_CODES[code]
  const body = JSON.stringify(errorBody(new GatewayError(code, message), newId('req')))
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}
