import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mintSession, sessionKey } from '../src/api/console-session.js'
import { ADMIN, createDestinationEngine, type DestinationEngine } from './support/destinations.js'
import { type Sink, startSink } from './support/sink.js'
import { createTestApp } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * The web console's login session (POST/GET/DELETE /api/session) over real sockets, on both
 * stores: the cookie and its flags, the admin API with the cookie alone, the CSRF header on
 * anything that changes something (and nothing changed without it), expiry on a fixed clock,
 * sessions of another ADMIN_TOKEN, logout, the live stream as EventSource opens it, the limit on
 * wrong tokens, and neither the token nor a cookie in the log.
 */

const HOUR = 3_600_000
const TTL = 12 * HOUR

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  text: string
  // biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON answers
  json: any
}

/** One request on its own connection (no agent), the answer read whole. */
function request(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
  const headers = { ...options.headers, ...(payload ? { 'content-type': 'application/json' } : {}) }
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text,
          json: response.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : null,
        }),
      )
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** The one Set-Cookie of an answer: its value and its attributes (names as sent). */
function setCookie(answer: Answer): { name: string; value: string; attributes: string[] } {
  const cookies = answer.headers['set-cookie'] ?? []
  expect(cookies).toHaveLength(1)
  const [pair, ...attributes] = cookies[0]!.split('; ')
  const equals = pair!.indexOf('=')
  return { name: pair!.slice(0, equals), value: pair!.slice(equals + 1), attributes }
}

describe.each(['sqlite', 'postgres'] as const)('the console session (%s)', (kind) => {
  let engine: DestinationEngine
  let sink: Sink
  let base: string
  /** Every session value the gateway handed out in this file: none may reach the log. */
  const minted = new Set<string>()

  const login = async (headers: Record<string, string> = {}) => {
    const answer = await request(base, 'POST', '/api/session', { body: { token: ADMIN }, headers })
    expect(answer.status).toBe(200)
    const cookie = setCookie(answer)
    minted.add(cookie.value)
    return { answer, cookie, header: { cookie: `ghl_gateway_session=${cookie.value}` } }
  }

  beforeAll(async () => {
    // Every delivery fails once and dies (maxAttempts 1): the DLQ has something to replay.
    sink = await startSink(() => ({ status: 500 }))
    engine = await createDestinationEngine(kind, {
      // The requests come from 127.0.0.1: its X-Forwarded-Proto is believed (TLS at a proxy).
      env: { TRUST_PROXY: 'loopback', LOG_LEVEL: 'trace' },
    })
    await engine.app.fastify.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(engine.app.fastify.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await engine?.close()
    await sink?.close()
  })

  it('the right token sets the session cookie: HttpOnly, SameSite=Strict, Path=/, Max-Age; not Secure over plain HTTP', async () => {
    const { answer, cookie } = await login()
    expect(answer.json).toEqual({ expiresAt: new Date(engine.clock.now + TTL).toISOString() })
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(cookie.name).toBe('ghl_gateway_session')
    expect(cookie.value).toMatch(/^v1\.\d+\.[\w-]+\.[\w-]+$/)
    expect(cookie.attributes).toEqual(['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${TTL / 1000}`])
    // Neither the token nor the cookie is in the answer's body.
    expect(answer.text).not.toContain(ADMIN)
    expect(answer.text).not.toContain(cookie.value)
  })

  it('over TLS (X-Forwarded-Proto: https from a trusted proxy) the cookie is also Secure', async () => {
    const { cookie } = await login({ 'x-forwarded-proto': 'https' })
    expect(cookie.attributes).toContain('Secure')
  })

  it('a wrong token is 401 with no cookie, and the token sent is not echoed', async () => {
    const wrong = await request(base, 'POST', '/api/session', { body: { token: 'guess-1234' } })
    expect(wrong.status).toBe(401)
    expect(wrong.json.error).toMatchObject({ code: 'unauthorized', message: 'the admin token is not valid' })
    expect(wrong.headers['set-cookie']).toBeUndefined()
    expect(wrong.text).not.toContain('guess-1234')
    const malformed = await request(base, 'POST', '/api/session', { body: { tokn: 'guess-5678' } })
    expect(malformed.status).toBe(400)
    expect(malformed.json.error.message).toContain('unknown key "tokn"; did you mean "token"?')
    expect(malformed.text).not.toContain('guess-5678')
    expect(malformed.headers['set-cookie']).toBeUndefined()
  })

  it('with the cookie alone, reading works: GET /api/session says until when, the API and /metrics answer', async () => {
    const { header, answer } = await login()
    const state = await request(base, 'GET', '/api/session', { headers: header })
    expect(state.status).toBe(200)
    expect(state.json).toEqual({ authenticated: true, expiresAt: answer.json.expiresAt })
    expect((await request(base, 'GET', '/api/events?limit=1', { headers: header })).status).toBe(200)
    expect((await request(base, 'GET', '/metrics', { headers: header })).status).toBe(200)
    // The bearer token still works, and is not a session.
    const bearer = await request(base, 'GET', '/api/session', {
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    expect(bearer.json).toEqual({ authenticated: true, expiresAt: null })
    // Without either: 401, saying both ways in.
    const anonymous = await request(base, 'GET', '/api/session')
    expect(anonymous.status).toBe(401)
    expect(anonymous.json.error.message).toBe(
      'send Authorization: Bearer <ADMIN_TOKEN>, or log in to the console (POST /api/session)',
    )
  })

  it('a change with the cookie but without X-Gateway-Console: 1 is 403 csrf_required, and nothing changes', async () => {
    const { header } = await login()
    const created = await engine.api('POST', '/api/destinations', {
      id: 'crm',
      url: sink.url,
      events: ['contact.*'],
      retry: { maxAttempts: 1 },
    })
    expect(created.status).toBe(201)
    const eventId = await engine.send()
    await engine.drain()
    const [dead] = await engine.deliveries(eventId)
    expect(dead).toMatchObject({ state: 'dead' })

    const forged: { method: string; path: string; body?: unknown; extra?: Record<string, string> }[] = [
      { method: 'POST', path: '/api/destinations/crm/pause', body: { reason: 'forged' } },
      { method: 'POST', path: '/api/replay', body: { deliveryId: dead!.id } },
      { method: 'DELETE', path: '/api/destinations/crm' },
      { method: 'DELETE', path: `/api/dlq/${dead!.id}` },
      // A header with another value is no header.
      { method: 'POST', path: '/api/replay', body: { eventId }, extra: { 'x-gateway-console': 'true' } },
    ]
    for (const { method, path, body, extra } of forged) {
      const answer = await request(base, method, path, { headers: { ...header, ...extra }, body })
      expect(answer.status, `${method} ${path}`).toBe(403)
      expect(answer.json.error.code).toBe('csrf_required')
      expect(answer.json.error.message).toContain('X-Gateway-Console: 1')
    }
    expect((await engine.api('GET', '/api/destinations/crm')).json).toMatchObject({ state: 'active' })
    expect(await engine.deliveries(eventId)).toMatchObject([{ state: 'dead', cycle: 0 }])

    // With the header (what the console sends) the same requests do what they say.
    const fromConsole = { ...header, 'x-gateway-console': '1' }
    const paused = await request(base, 'POST', '/api/destinations/crm/pause', {
      headers: fromConsole,
      body: { reason: 'from the console' },
    })
    expect(paused.status).toBe(200)
    expect(paused.json).toMatchObject({ state: 'paused', stateReason: 'from the console' })
    const replayed = await request(base, 'POST', '/api/replay', {
      headers: fromConsole,
      body: { deliveryId: dead!.id },
    })
    expect(replayed.json).toEqual({ replayed: 1, added: 0 })
    expect(await engine.deliveries(eventId)).toMatchObject([{ state: 'pending', cycle: 1 }])
    // A bearer request needs no such header.
    const resumed = await request(base, 'POST', '/api/destinations/crm/resume', {
      headers: { authorization: `Bearer ${ADMIN}` },
      body: {},
    })
    expect(resumed.status).toBe(200)
  })

  it('an expired session is 401 saying it expired (the clock fixed, then moved past the expiry)', async () => {
    const { header } = await login()
    engine.clock.advance(TTL - 1)
    expect((await request(base, 'GET', '/api/events?limit=1', { headers: header })).status).toBe(200)
    engine.clock.advance(1)
    for (const path of ['/api/events?limit=1', '/api/session', '/api/stream']) {
      const expired = await request(base, 'GET', path, { headers: header })
      expect(expired.status, path).toBe(401)
      expect(expired.json.error).toMatchObject({
        code: 'unauthorized',
        message: 'the console session expired; log in again',
      })
    }
  })

  it('a session signed under another ADMIN_TOKEN, altered, or garbled is 401 "not valid"', async () => {
    const { cookie } = await login()
    const [version, expires, nonce, mac] = cookie.value.split('.')
    const values = [
      mintSession(sessionKey('another-admin-token'), engine.clock.now + HOUR),
      [version, Number(expires) + TTL, nonce, mac].join('.'),
      'v1.garbage',
      '',
    ]
    for (const value of values) {
      const answer = await request(base, 'GET', '/api/events?limit=1', {
        headers: { cookie: `ghl_gateway_session=${value}` },
      })
      expect(answer.status, value).toBe(401)
      expect(answer.json.error.message, value).toMatch(/^the console session is not valid .*; log in again$/)
    }
  })

  it('a Bearer header decides alone; another Authorization scheme (Basic, from a proxy) leaves it to the cookie', async () => {
    const { header } = await login()
    const wrongBearer = await request(base, 'GET', '/api/events?limit=1', {
      headers: { ...header, authorization: 'Bearer not-the-token' },
    })
    expect(wrongBearer.status).toBe(401)
    const basic = await request(base, 'GET', '/api/events?limit=1', {
      headers: { ...header, authorization: `Basic ${Buffer.from('ops:proxy-password').toString('base64')}` },
    })
    expect(basic.status).toBe(200)
    // A tossed cookie of the same name (set for a parent domain) does not hide the real one.
    const tossed = await request(base, 'GET', '/api/events?limit=1', {
      headers: { cookie: `ghl_gateway_session=v1.tossed; ${header.cookie}` },
    })
    expect(tossed.status).toBe(200)
  })

  it('logout clears the cookie (with the console header when the cookie is sent)', async () => {
    const { header, cookie } = await login()
    const forged = await request(base, 'DELETE', '/api/session', { headers: header })
    expect(forged.status).toBe(403)
    expect(forged.json.error.code).toBe('csrf_required')

    const out = await request(base, 'DELETE', '/api/session', {
      headers: { ...header, 'x-gateway-console': '1' },
    })
    expect(out.status).toBe(204)
    expect(out.text).toBe('')
    expect(setCookie(out)).toEqual({
      name: 'ghl_gateway_session',
      value: '',
      attributes: ['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=0'],
    })
    // Without a cookie (already logged out, or expired and dropped) it is still 204.
    expect((await request(base, 'DELETE', '/api/session')).status).toBe(204)
    // Nothing is stored, so a copy of the value still works until it expires (README says so).
    const copy = await request(base, 'GET', '/api/session', {
      headers: { cookie: `ghl_gateway_session=${cookie.value}` },
    })
    expect(copy.status).toBe(200)
  })

  it('GET /api/stream streams with the cookie alone, as EventSource opens it', async () => {
    const { header } = await login()
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get(`${base}/api/stream`, {
        agent: false,
        headers: { ...header, accept: 'text/event-stream', 'cache-control': 'no-cache' },
      })
      req.on('response', resolve)
      req.on('error', reject)
    })
    try {
      expect(stream.statusCode).toBe(200)
      expect(stream.headers['content-type']).toBe('text/event-stream')
      let text = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        text += chunk
      })
      await until(() => text.startsWith(': connected\n\n'), 'the stream opened')
      const eventId = await engine.send()
      await until(() => text.includes(`"id":"${eventId}"`), 'the webhook was streamed')
      expect(text).toContain('event: event\n')
    } finally {
      stream.destroy()
    }
  })

  it('after 10 wrong tokens even the right one gets 429 rate_limited with Retry-After, until the bucket refills', async () => {
    for (let i = 0; i < 20; i++) {
      const answer = await request(base, 'POST', '/api/session', { body: { token: `guess-${i}` } })
      if (answer.status === 429) break
      expect(answer.status).toBe(401)
    }
    const limited = await request(base, 'POST', '/api/session', { body: { token: ADMIN } })
    expect(limited.status).toBe(429)
    expect(limited.json.error.code).toBe('rate_limited')
    expect(limited.headers['retry-after']).toBe('6')
    expect(limited.headers['set-cookie']).toBeUndefined()
    // The bearer token is not limited.
    expect((await engine.api('GET', '/api/session')).status).toBe(200)
    engine.clock.advance(6000)
    await login()
  })

  it('neither the admin token nor any session cookie reaches the log (at trace level)', () => {
    const log = engine.logs.text
    expect(log).toContain('console login refused: wrong admin token')
    expect(log).not.toContain(ADMIN)
    expect(log).not.toContain('guess-')
    expect(minted.size).toBeGreaterThanOrEqual(8)
    for (const value of minted) expect(log).not.toContain(value.split('.').slice(2).join('.'))
  })
})

describe('the console session without ADMIN_TOKEN', () => {
  it('does not exist: POST, GET and DELETE /api/session answer 404', async () => {
    const t = await createTestApp('sqlite')
    try {
      for (const method of ['POST', 'GET', 'DELETE'] as const) {
        const answer = await t.gateway.fastify.inject({
          method,
          url: '/api/session',
          ...(method === 'POST' ? { payload: { token: 'anything' } } : {}),
        })
        expect(answer.statusCode, method).toBe(404)
        expect(answer.json().error.message).toContain('set ADMIN_TOKEN')
        expect(answer.headers['set-cookie']).toBeUndefined()
      }
    } finally {
      await t.close()
    }
  })
})
