import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve as serveHono } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import { ghlGateway } from '../../src/fastify-plugin.js'
import type { Gateway } from '../../src/index.js'

/**
 * The ways an application receives GHL webhooks through the gateway, each a real server on a real
 * socket: the gateway's own server (`listen`), and the adapters mounted in an application that has
 * routes of its own. test/mount-conformance.test.ts runs one suite through every one of them.
 */

export interface MountedApp {
  /** `http://127.0.0.1:<port>`; webhooks go to `${base}/webhooks/<source>`. */
  base: string
  /** Stops the application's server (and the gateway, when the server is the gateway's own). */
  close(): Promise<void>
}

export interface Mount {
  name: string
  /** True when closing the gateway closes the server (its own); else the app still answers after. */
  serverIsGateway: boolean
  /** True when the app starts the gateway itself (so it cannot be seen "not started"). */
  startsGateway: boolean
  /** Whose request ids answers carry: the sender's `X-Request-Id`, or the application's (Fastify's own `genReqId`). */
  requestIds: 'sender' | 'application'
  /** Serves `gw`'s webhooks beside the application's own `POST /api/orders` (JSON) and `GET /health`. */
  mount(gw: Gateway): Promise<MountedApp>
}

export const MOUNTS: readonly Mount[] = [
  {
    name: 'gw.listen()',
    serverIsGateway: true,
    startsGateway: true,
    requestIds: 'sender',
    async mount(gw) {
      const { url } = await gw.listen({ port: 0, host: '127.0.0.1' })
      return { base: url, close: () => gw.close() }
    },
  },
  {
    name: 'node:http + gw.nodeHandler()',
    serverIsGateway: false,
    startsGateway: false,
    requestIds: 'sender',
    async mount(gw) {
      const webhooks = gw.nodeHandler()
      const server = createServer(async (request, response) => {
        if (request.url === '/health') return void response.end('ok')
        if (request.url === '/api/orders') {
          const chunks: Buffer[] = []
          for await (const chunk of request) chunks.push(chunk as Buffer)
          const received = JSON.parse(Buffer.concat(chunks).toString()) as unknown
          return void response.setHeader('content-type', 'application/json').end(JSON.stringify({ received }))
        }
        webhooks(request, response)
      })
      return listening(server)
    },
  },
  {
    name: 'Express + gw.nodeHandler()',
    serverIsGateway: false,
    startsGateway: false,
    requestIds: 'sender',
    async mount(gw) {
      const app = express()
      app.get('/health', (_request, response) => void response.send('ok'))
      // Before the body parser: the handler reads the raw bytes itself.
      app.use(gw.nodeHandler())
      app.use(express.json())
      app.post('/api/orders', (request, response) => void response.json({ received: request.body }))
      return listening(createServer(app))
    },
  },
  {
    name: 'Fastify + ghl-gateway/fastify',
    serverIsGateway: false,
    startsGateway: true,
    requestIds: 'application',
    async mount(gw) {
      const app = Fastify()
      app.get('/health', async () => 'ok')
      app.post('/api/orders', async (request) => ({ received: request.body }))
      await app.register(ghlGateway, { gateway: gw, closeWithFastify: false })
      await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = app.server.address() as AddressInfo
      return { base: `http://127.0.0.1:${port}`, close: () => app.close() }
    },
  },
  {
    name: 'Hono + gw.fetchHandler()',
    serverIsGateway: false,
    startsGateway: false,
    requestIds: 'sender',
    async mount(gw) {
      const app = new Hono()
      const webhooks = gw.fetchHandler()
      app.get('/health', (c) => c.text('ok'))
      app.post('/api/orders', async (c) => c.json({ received: await c.req.json() }))
      app.all('/webhooks/*', (c) => webhooks(c.req.raw))
      const server = await new Promise<Server>((resolve) => {
        const started = serveHono({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
          resolve(started as Server),
        )
      })
      const { port } = server.address() as AddressInfo
      return { base: `http://127.0.0.1:${port}`, close: () => closeServer(server) }
    },
  },
]

async function listening(server: Server): Promise<MountedApp> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { base: `http://127.0.0.1:${port}`, close: () => closeServer(server) }
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
}
