import Fastify from 'fastify'
import { createGateway } from 'ghl-gateway'
import { ghlGateway } from 'ghl-gateway/fastify'

// Settings come from the environment: DATABASE_URL (default: SQLite in ./data), trusted keys, LOG_LEVEL…
const gw = createGateway()

// Runs from the database after GHL got its 200, retried on a throw.
gw.on('ContactCreate', async (event) => {
  console.log(`new contact ${event.data.id} <${event.data.email ?? 'no email'}>`)
})

const app = Fastify()
app.get('/health', async () => 'ok')
// The app's routes keep Fastify's JSON parser: the plugin's raw-body parser is scoped to its own routes.
app.post('/api/orders', async (request, reply) => reply.code(201).send({ order: request.body }))

// POST /webhooks/<source>. Starts the gateway, and closes it with app.close().
await app.register(ghlGateway, { gateway: gw })

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
await app.listen({ port, host })
console.log(`listening on http://${host}:${port}; GHL webhooks go to /webhooks/ghl`)

// app.close() stops taking requests, then closes the gateway (closeWithFastify, default true).
process.once('SIGTERM', () => void app.close())
