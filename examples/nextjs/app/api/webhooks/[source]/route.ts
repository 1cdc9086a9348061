import { handleWebhook } from '../../../../lib/gateway'

// The gateway stores events in SQLite or PostgreSQL through Node's APIs: not the Edge runtime.
export const runtime = 'nodejs'
// Never cache or prerender a webhook route.
export const dynamic = 'force-dynamic'

// The handler reads the raw body itself; do not call request.json() first.
export async function POST(request: Request): Promise<Response> {
  return handleWebhook(request)
}
