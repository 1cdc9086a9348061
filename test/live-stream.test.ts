import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminAccess } from '../src/api/auth.js'
import { registerOpenApi } from '../src/api/openapi.js'
import { streamRoutes } from '../src/api/stream-routes.js'
import { type LiveEvent, LiveStream } from '../src/observe/live-stream.js'
import {
  contactCreate,
  createTestApp,
  ed25519Signature,
  type TestApp,
  testEd25519Key,
} from './support/test-app.js'
import { until } from './support/until.js'

/**
 * GET /api/stream over real sockets (`inject()` cannot stream): admin token, SSE framing, events
 * published after the commit (accepted and duplicate), server-side filters, a slow client dropped
 * with `overflow`, listeners released on disconnect, heartbeats, and streams ended at shutdown.
 */

const TOKEN = 'live-stream-admin-token'
const key = testEd25519Key()
const auth = { authorization: `Bearer ${TOKEN}` }

interface OpenStream {
  status: number
  headers: http.IncomingHttpHeaders
  response: http.IncomingMessage
  /** Everything read so far. */
  text(): string
  /** Waits (bounded) until `pattern` has been read. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>
  /** Resolves when the server ended the answer. */
  ended: Promise<void>
  destroy(): void
}

function openStream(base: string, path: string, headers: Record<string, string> = auth): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}${path}`, { headers, agent: false })
    request.on('error', reject)
    request.on('response', (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      const ended = new Promise<void>((done) => response.on('close', () => done()))
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        response,
        text: () => text,
        ended,
        destroy: () => request.destroy(),
        async waitFor(pattern, timeoutMs = 5000) {
          // The error carries what the stream said.
          await until(() => pattern.test(text), `${pattern}`, timeoutMs).catch(() => {
            throw new Error(`no ${pattern} within ${timeoutMs} ms; got:\n${text}`)
          })
          return text
        },
      })
    })
  })
}

/** The `data:` of every `event: <kind>` message read so far. */
function messages(text: string, kind = 'event'): Record<string, unknown>[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith(`event: ${kind}\n`))
    .map((block) => JSON.parse(block.split('\n')[1]!.slice('data: '.length)) as Record<string, unknown>)
}

describe('GET /api/stream on a gateway app', () => {
  let t: TestApp
  let base: string
  const post = (body: Record<string, unknown>) => {
    const payload = JSON.stringify(body)
    return t.gateway.fastify.inject({
      method: 'POST',
      url: '/webhooks/ghl',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, payload),
      },
      payload,
    })
  }

  beforeAll(async () => {
    t = await createTestApp('sqlite', { ADMIN_TOKEN: TOKEN, GHL_ED25519_PUBLIC_KEYS: key.spki })
    await t.gateway.fastify.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.gateway.fastify.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await t.close()
  })

  it('needs the admin token', async () => {
    const missing = await openStream(base, '/api/stream', {})
    await missing.ended
    expect(missing.status).toBe(401)
    const wrong = await openStream(base, '/api/stream', { authorization: 'Bearer nope' })
    await wrong.ended
    expect(wrong.status).toBe(401)
    expect(JSON.parse(wrong.text())).toMatchObject({ error: { code: 'unauthorized' } })
    const badQuery = await openStream(base, '/api/stream?kind=everything')
    await badQuery.ended
    expect(badQuery.status).toBe(400)
    expect(t.gateway.liveStream.listenerCount()).toBe(0)
  })

  it('streams accepted and duplicate events after their commit, filtered by the server', async () => {
    const all = await openStream(base, '/api/stream')
    expect(all.status).toBe(200)
    expect(all.headers['content-type']).toBe('text/event-stream')
    expect(all.headers['cache-control']).toBe('no-cache')
    await all.waitFor(/^: connected\n\n/)
    const contacts = await openStream(base, '/api/stream?type=ContactCreate&location=loc_live')
    const prefix = await openStream(base, '/api/stream?type=opportunity.*')
    await until(() => t.gateway.liveStream.listenerCount() === 3, 'three listeners', 5000)

    const contact = contactCreate({ locationId: 'loc_live' })
    const first = (await post(contact)).json() as { eventId: string }
    const again = (await post(contact)).json() as { status: string; eventId: string }
    expect(again).toEqual({ status: 'duplicate', eventId: first.eventId })
    await post(contactCreate({ locationId: 'elsewhere' }))
    await post({ type: 'OpportunityCreate', locationId: 'loc_live', id: 'opp_1', webhookId: 'wh-opp-live' })

    await all.waitFor(/wh-opp-live/)
    const seen = messages(all.text())
    expect(seen.map((m) => m.outcome)).toEqual(['accepted', 'duplicate', 'accepted', 'accepted'])
    expect(seen[0]).toEqual({
      kind: 'event',
      id: first.eventId,
      source: 'ghl',
      type: 'contact.created',
      name: 'ContactCreate',
      ghlType: 'ContactCreate',
      webhookId: contact.webhookId as string,
      locationId: 'loc_live',
      entity: { kind: 'contact', id: contact.id as string },
      outcome: 'accepted',
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      flags: [],
    } satisfies LiveEvent)
    // The committed event is what was streamed: it is in the store already.
    expect(await t.store.getEvent(first.eventId)).toBeDefined()

    await prefix.waitFor(/wh-opp-live/)
    expect(messages(prefix.text()).map((m) => m.webhookId)).toEqual(['wh-opp-live'])
    expect(messages(contacts.text()).map((m) => m.outcome)).toEqual(['accepted', 'duplicate'])

    for (const stream of [all, contacts, prefix]) stream.destroy()
    // Disconnected clients leave no listener behind.
    await until(() => t.gateway.liveStream.listenerCount() === 0, 'listeners released', 5000)
    expect(t.gateway.liveStream.active).toBe(false)
  })

  it('drops a client that does not read with a final overflow event, and releases its listener', async () => {
    const slow = await openStream(base, '/api/stream')
    await slow.waitFor(/: connected/)
    slow.response.pause()
    // Each message ~4 KiB: the kernel's socket buffers fill first, then the 1 MiB allowance.
    const big: LiveEvent = {
      kind: 'event',
      id: 'evt_big',
      source: 'ghl',
      type: 'contact.created',
      name: 'ContactCreate',
      ghlType: 'ContactCreate',
      webhookId: 'wh-big',
      locationId: 'loc_big',
      entity: { kind: 'contact', id: 'c' },
      outcome: 'accepted',
      receivedAt: new Date().toISOString(),
      flags: ['x'.repeat(4096)],
    }
    let published = 0
    while (t.gateway.liveStream.listenerCount() > 0 && published < 50_000) {
      for (let i = 0; i < 100; i++) t.gateway.liveStream.publish(big)
      published += 100
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(t.gateway.liveStream.listenerCount()).toBe(0)
    expect(published).toBeLessThan(50_000)
    // What was buffered is still delivered, ending with the overflow notice; then the answer ends.
    slow.response.resume()
    await slow.ended
    const text = slow.text()
    expect(text).toMatch(/event: overflow\ndata: \{"reason":"the client read too slowly[^\n]*\n\n$/)
    const received = messages(text).length
    expect(received).toBeGreaterThan(0)
    expect(received).toBeLessThan(published)
  })
})

describe('stream route details', () => {
  it('sends heartbeats, ends open streams at shutdown, and survives a throwing listener', async () => {
    const errors: unknown[] = []
    const liveStream = new LiveStream({ onListenerError: (error) => errors.push(error) })
    const app = Fastify()
    // The admin routes' schemas are zod: registerOpenApi gives Fastify the compilers for them.
    const access = adminAccess({ token: TOKEN })
    registerOpenApi(app, { access, checkResponses: true })
    await app.register(streamRoutes, { liveStream, access, heartbeatMs: 50 })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

    const stream = await openStream(base, '/api/stream')
    await stream.waitFor(/: heartbeat\n\n: heartbeat\n\n/)

    const stop = liveStream.subscribe(() => {
      throw new Error('broken client')
    })
    expect(() =>
      liveStream.publish({
        kind: 'delivery',
        deliveryId: 'dlv_1',
        eventId: 'evt_1',
        subscriber: 'crm',
        attempt: 1,
        cycle: 0,
        outcome: 'dead',
        error: 'Error: nope',
        durationMs: 1,
        at: new Date().toISOString(),
        source: 'ghl',
        type: 'contact.created',
        name: 'ContactCreate',
        locationId: null,
      }),
    ).not.toThrow()
    expect(errors).toHaveLength(1)
    await stream.waitFor(/event: delivery\ndata: \{"kind":"delivery","deliveryId":"dlv_1"/)
    stop()
    stop()
    expect(liveStream.listenerCount()).toBe(1)

    const started = Date.now()
    await app.close()
    await stream.ended
    expect(Date.now() - started).toBeLessThan(3000)
    expect(stream.text()).toMatch(/: closed \(the gateway is shutting down\)\n\n$/)
    expect(liveStream.listenerCount()).toBe(0)
  })

  it('is not offered without ADMIN_TOKEN', async () => {
    const app = Fastify()
    // Not checked: a bare Fastify answers errors in its own shape, not the app's (src/app.ts).
    const access = adminAccess({ token: undefined })
    registerOpenApi(app, { access })
    await app.register(streamRoutes, { liveStream: new LiveStream(), access })
    const answer = await app.inject({ url: '/api/stream', headers: auth })
    expect(answer.statusCode).toBe(404)
    await app.close()
  })
})
