import { serve } from '@hono/node-server'
import { createGateway } from 'ghl-gateway'
import { Hono } from 'hono'

// Settings come from the environment: DATABASE_URL (default: SQLite in ./data), trusted keys, LOG_LEVEL…
const gw = createGateway()

// Runs from the database after GHL got its 200, retried on a throw.
gw.on('ContactCreate', async (event) => {
  console.log(`new contact ${event.data.id} <${event.data.email ?? 'no email'}>`)
})

const webhooks = gw.fetchHandler() // serves POST /webhooks/<source>, e.g. /webhooks/ghl

const app = new Hono()
app.get('/health', (c) => c.text('ok'))
app.post('/api/orders', async (c) => c.json({ order: await c.req.json() }, 201))
// Hand over the raw Request: the handler reads the exact bytes GHL signed. Do not read the body
// (c.req.json()) before, or it answers 500 body_already_read.
app.all('/webhooks/*', (c) => webhooks(c.req.raw))

// Opens the store and starts the worker, without a server of its own.
await gw.start()

const port = Number(process.env.PORT ?? 3000)
const hostname = process.env.HOST ?? '127.0.0.1'
const server = serve({ fetch: app.fetch, port, hostname }, () => {
  console.log(`listening on http://${hostname}:${port}; GHL webhooks go to /webhooks/ghl`)
})

process.once('SIGTERM', () => {
  server.close()
  void gw.close()
})
