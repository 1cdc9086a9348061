import { createServer } from 'node:http'
import express from 'express'
import { createGateway } from 'ghl-gateway'

// Settings come from the environment: DATABASE_URL (default: SQLite in ./data), trusted keys, LOG_LEVEL…
const gw = createGateway()

// event.data is typed for ContactCreate. The handler runs after GHL got its 200, from the database,
// and is retried on a throw: do the slow or fallible work here, not in the request.
gw.on('ContactCreate', async (event) => {
  console.log(`new contact ${event.data.id} <${event.data.email ?? 'no email'}>`)
})

const app = express()

// The webhook route first: it reads the raw bytes itself, which GHL's signature covers. After
// express.json() it would find the body already parsed and answer 500 body_already_read.
app.use(gw.nodeHandler()) // POST /webhooks/ghl

// The app's own routes, as they were.
app.use(express.json())
app.get('/health', (_req, res) => void res.send('ok'))
app.post('/api/orders', (req, res) => void res.status(201).json({ order: req.body }))

// Opens the store and starts the worker, but no second server: webhooks come through `app`.
await gw.start()

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const server = createServer(app).listen(port, host, () => {
  console.log(`listening on http://${host}:${port}; GHL webhooks go to /webhooks/ghl`)
})

// Stop taking requests, then let the gateway finish the deliveries it is running.
process.once('SIGTERM', () => {
  server.close()
  void gw.close()
})
