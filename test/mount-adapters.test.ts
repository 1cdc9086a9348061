import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { ghlGateway } from '../src/fastify-plugin.js'
import { createGateway, type Gateway } from '../src/index.js'
import { freshSqliteFile } from './support/databases.js'
import { storeReader } from './support/store-reader.js'
import { contactCreate, ed25519Signature, testEd25519Key } from './support/test-app.js'

/**
 * What only a mounted handler can meet: an application's body parser before it, its own paths and
 * 404s, its own Fastify error handler, and a gateway closed while the application's server goes on.
 * The answers every adapter shares are in mount-conformance.test.ts.
 */

const key = testEd25519Key()
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function gateway(): { gw: Gateway; url: string } {
  const file = freshSqliteFile()
  const gw = createGateway({
    database: file.url,
    env: { GHL_ED25519_PUBLIC_KEYS: key.spki, LOG_LEVEL: 'silent' },
  })
  cleanups.push(
    () => file.remove(),
    () => gw.close(),
  )
  return { gw, url: file.url }
}

async function serveOn(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function signedPost(url: string, body = JSON.stringify(contactCreate())) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-ghl-signature': ed25519Signature(key.privateKey, body),
    },
    body,
  })
}

describe('nodeHandler() in Express', () => {
  it('refuses a body that express.json() already parsed with body_already_read (500), and stores nothing', async () => {
    const { gw, url } = gateway()
    await gw.start()
    const app = express()
    app.use(express.json())
    app.use(gw.nodeHandler())
    const base = await serveOn(createServer(app))

    const response = await signedPost(`${base}/webhooks/ghl`)
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(response.status).toBe(500)
    expect(body.error.code).toBe('body_already_read')
    expect(body.error.message).toMatch(/before any body parser such as express\.json\(\)/)
    expect(await storeReader(url).events()).toEqual([])
    const metrics = await gw.running!.app.metrics.registry.metrics()
    expect(metrics).toMatch(
      /ghl_gateway_webhooks_rejected_total\{source="ghl",reason="body_already_read"\} 1\b/,
    )
  })

  it("accepts express.raw()'s Buffer: the exact bytes", async () => {
    const { gw, url } = gateway()
    await gw.start()
    const app = express()
    app.use(express.raw({ type: '*/*' }))
    app.use(gw.nodeHandler())
    const base = await serveOn(createServer(app))

    const sent = JSON.stringify(contactCreate())
    const response = await signedPost(`${base}/webhooks/ghl`, sent)
    expect(response.status).toBe(200)
    const [event] = await storeReader(url).events()
    expect(event?.id).toBe(((await response.json()) as { eventId: string }).eventId)
  })

  it('serves its own path, and passes every other request to the next middleware', async () => {
    const { gw } = gateway()
    await gw.start()
    const app = express()
    app.use(gw.nodeHandler({ path: '/hooks/' }))
    app.use((_request, response) => void response.status(418).send('next'))
    const base = await serveOn(createServer(app))

    expect((await signedPost(`${base}/hooks/ghl`)).status).toBe(200)
    for (const path of ['/webhooks/ghl', '/hooks', '/hooks/ghl/ContactCreate/extra', '/other']) {
      const response = await signedPost(`${base}${path}`)
      expect([path, response.status]).toEqual([path, 418])
    }
  })
})

describe('nodeHandler() on node:http', () => {
  it("answers the catalog's 404 for other paths when there is no next()", async () => {
    const { gw } = gateway()
    await gw.start()
    const base = await serveOn(createServer(gw.nodeHandler()))
    const response = await fetch(`${base}/elsewhere`)
    expect(response.status).toBe(404)
    const body = (await response.json()) as { error: { code: string; requestId: string } }
    expect(body.error.code).toBe('not_found')
    expect(body.error.requestId).toBe(response.headers.get('x-request-id'))
  })

  it('close() waits for a mounted request in progress: it is stored and acknowledged', async () => {
    const { gw, url } = gateway()
    await gw.start()
    const handler = gw.nodeHandler()
    let arrived!: () => void
    const arrival = new Promise<void>((resolve) => (arrived = resolve))
    const base = new URL(
      await serveOn(
        createServer((req, res) => {
          handler(req, res)
          arrived()
        }),
      ),
    )
    const body = Buffer.from(JSON.stringify(contactCreate()))
    let finishBody!: () => void
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          path: '/webhooks/ghl',
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'x-ghl-signature': ed25519Signature(key.privateKey, body),
          },
        },
        (response) => {
          let text = ''
          response.on('data', (chunk: Buffer) => {
            text += chunk
          })
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }))
        },
      )
      request.on('error', reject)
      // Half the body now; the rest only once close() has begun.
      request.write(body.subarray(0, 10))
      finishBody = () => request.end(body.subarray(10))
    })
    // The handler has the request (its checks run a few microtasks later), so it is reading when
    // close() begins. Fixed sleeps here raced on a busy machine.
    await arrival
    await new Promise((resolve) => setTimeout(resolve, 50))
    let closed = false
    const closing = gw.close().then(() => {
      closed = true
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(closed).toBe(false)
    finishBody()
    const { status, text } = await answer
    expect(status).toBe(200)
    await closing
    expect(closed).toBe(true)
    const [event] = await storeReader(url).events()
    expect(event?.id).toBe((JSON.parse(text) as { eventId: string }).eventId)
  })
})

describe('fetchHandler()', () => {
  it('refuses a Request whose body was already read with body_already_read', async () => {
    const { gw, url } = gateway()
    await gw.start()
    const body = JSON.stringify(contactCreate())
    const request = new Request('http://app.test/webhooks/ghl', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, body),
      },
      body,
    })
    await request.json()
    const response = await gw.fetchHandler()(request)
    expect(response.status).toBe(500)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('body_already_read')
    expect(await storeReader(url).events()).toEqual([])
  })

  it('takes the mount path of a Next.js route (/api/webhooks/<source>)', async () => {
    const { gw } = gateway()
    await gw.start()
    const POST = gw.fetchHandler({ path: '/api/webhooks' })
    const body = JSON.stringify(contactCreate())
    const response = await POST(
      new Request('https://app.example.com/api/webhooks/ghl?from=ghl', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': ed25519Signature(key.privateKey, body),
        },
        body,
      }),
    )
    expect(response.status).toBe(200)
    expect(((await response.json()) as { status: string }).status).toBe('accepted')
  })
})

describe('the Fastify plugin', () => {
  it("keeps the application's JSON parser and error handler for its other routes", async () => {
    const { gw } = gateway()
    const app = Fastify()
    cleanups.push(() => app.close())
    app.setErrorHandler((_error, _request, reply) => reply.status(422).send({ mine: true }))
    app.post('/api/orders', async (request) => ({ received: request.body }))
    await app.register(ghlGateway, { gateway: gw })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

    const orders = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"A-1"}',
    })
    expect(await orders.json()).toEqual({ received: { sku: 'A-1' } })
    const broken = await fetch(`${base}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sku":',
    })
    expect([broken.status, await broken.json()]).toEqual([422, { mine: true }])
    const webhook = await signedPost(`${base}/webhooks/ghl`)
    expect(webhook.status).toBe(200)
    const forged = await fetch(`${base}/webhooks/ghl`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ghl-signature': 'AAAA' },
      body: '{}',
    })
    expect([forged.status, ((await forged.json()) as { error: { code: string } }).error.code]).toEqual([
      401,
      'invalid_signature',
    ])
  })

  it('closes the gateway with the Fastify instance', async () => {
    const { gw } = gateway()
    const app = Fastify()
    await app.register(ghlGateway, { gateway: gw })
    const handler = gw.fetchHandler()
    await app.close()
    const body = JSON.stringify(contactCreate())
    const response = await handler(
      new Request('http://app.test/webhooks/ghl', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': ed25519Signature(key.privateKey, body),
        },
        body,
      }),
    )
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('shutting_down')
  })
})

describe('start() and listen()', () => {
  it('listen() after start() is refused with a sentence; start() after listen() resolves', async () => {
    const first = gateway().gw
    await first.start()
    await expect(first.listen({ port: 0, host: '127.0.0.1' })).rejects.toThrow(
      /call listen\(\) instead of start\(\)/,
    )
    const second = gateway().gw
    await second.listen({ port: 0, host: '127.0.0.1' })
    await second.start()
    expect(second.running?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })
})
