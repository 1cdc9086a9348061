import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../src/errors.js'
import { createTestApp, type TestApp, testEd25519Key } from './support/test-app.js'

/**
 * Requests that Node's parser or Fastify's router reject before any route runs still get the
 * catalog's body (and never a 5xx). Raw sockets, because these requests are malformed on purpose.
 */

let t: TestApp
let port: number

beforeAll(async () => {
  t = await createTestApp('sqlite', { GHL_ED25519_PUBLIC_KEYS: testEd25519Key().spki })
  await t.gateway.fastify.listen({ port: 0, host: '127.0.0.1' })
  port = (t.gateway.fastify.server.address() as AddressInfo).port
})
afterAll(async () => {
  await t.close()
})

function raw(
  text: string,
): Promise<{ status: number; body: { error: { code: string; message: string; requestId: string } } }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let data = ''
    socket.on('data', (chunk) => {
      data += chunk
    })
    socket.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? '')?.[1])
      try {
        resolve({ status, body: JSON.parse(rest.join('\r\n\r\n')) })
      } catch {
        reject(new Error(`not a JSON error body: ${JSON.stringify(data.slice(0, 300))}`))
      }
    })
    socket.on('error', reject)
    setTimeout(() => socket.end(), 2000).unref()
  })
}

describe('transport-level errors use the catalog', () => {
  const cases: [string, string, number, string][] = [
    ['garbage instead of HTTP', 'HELLO\r\n\r\n', 400, 'invalid_request'],
    [
      'headers over 16 KiB',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
    [
      'a URL that cannot be decoded',
      'GET /webhooks/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      400,
      'invalid_request',
    ],
    [
      'a path segment over 256 characters',
      `POST /webhooks/ghl/${'A'.repeat(300)} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      400,
      'invalid_request',
    ],
    [
      'an unsupported Expect',
      'POST /webhooks/ghl HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      417,
      'expectation_failed',
    ],
    [
      'no Host header (answered like any request)',
      'GET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n',
      404,
      'not_found',
    ],
  ]
  it.each(cases)('%s', async (_name, request, status, code) => {
    const answer = await raw(request)
    expect(answer.status).toBe(status)
    expect(answer.body.error.code).toBe(code)
    expect(ERROR_CODES[code as keyof typeof ERROR_CODES]).toBe(status)
    expect(answer.body.error.requestId).toMatch(/^req_/)
  })
})
