// A library-mode gateway whose handler makes one GHL call per event through `ctx.ghl` (the API
// client, with the shared rate limiter the assembly builds from GHL_RATE_LIMIT_*). The call names
// this process in its query (`pid`), so the fake GHL's log tells the processes apart.
// Env: the gateway's own variables (GHL_CLIENT_ID, GHL_API_URL, … pointing at the fake GHL).
import { createGateway } from '../../dist/index.js'

const gateway = createGateway()
gateway.on(
  'ContactCreate',
  async (event, ctx) => {
    await ctx.ghl.request({
      method: 'GET',
      path: `/contacts/${encodeURIComponent(event.entity.id)}`,
      query: { pid: String(process.pid) },
    })
  },
  {
    id: 'ghl-calls',
    concurrency: 16,
    timeout: 5000,
    retry: { minDelay: 100, maxDelay: 2000, maxAttempts: 100 },
  },
)
await gateway.listen()
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => gateway.close().then(() => process.exit(0)))
