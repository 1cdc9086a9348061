import { createGateway, type FetchHandler } from 'ghl-gateway'

/**
 * One gateway per server process. Next.js may evaluate this module more than once (each route that
 * imports it in production builds, every edit in `next dev`), and two gateways would run two workers
 * on one database: keep it on globalThis, created and started once.
 */
function createFetchHandler(): FetchHandler {
  // Settings come from the environment: DATABASE_URL (default: SQLite in ./data), trusted keys, LOG_LEVEL…
  const gw = createGateway()

  // Runs from the database after GHL got its 200, retried on a throw.
  gw.on('ContactCreate', async (event) => {
    console.log(`new contact ${event.data.id} <${event.data.email ?? 'no email'}>`)
  })

  // Requests that arrive while it starts wait for it. A failed start is logged; requests then get
  // 503 not_started, which GHL retries.
  gw.start().catch((error: unknown) => console.error('ghl-gateway did not start:', error))

  // The route below is app/api/webhooks/[source]/route.ts: GHL posts to /api/webhooks/ghl.
  return gw.fetchHandler({ path: '/api/webhooks' })
}

const shared = globalThis as typeof globalThis & { ghlWebhooks?: FetchHandler }

shared.ghlWebhooks ??= createFetchHandler()

export const handleWebhook: FetchHandler = shared.ghlWebhooks
