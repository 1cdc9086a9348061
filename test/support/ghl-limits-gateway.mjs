// A library-mode gateway whose handler makes one GHL call per event through the shared rate limiter
// (dist/ghl/shared-rate-limiter.js, built as the assembly builds it from GHL_RATE_LIMIT_*), against
// the counting server GHL_TEST_API_URL. A refused slot becomes a RetryableError with the limiter's
// delay — what `ctx.ghl` does with it.
// Env: GHL_TEST_API_URL plus the gateway's own variables.

import { GhlRateLimitedError } from '../../dist/ghl/errors.js'
import { SharedGhlRateLimiter } from '../../dist/ghl/shared-rate-limiter.js'
import { createGateway, RetryableError } from '../../dist/index.js'

const api = process.env.GHL_TEST_API_URL
let limiter
const gateway = createGateway()
gateway.on(
  'ContactCreate',
  async (event, ctx) => {
    const owner = { appId: 'app_1', userType: 'Location', ownerId: event.tenant.locationId }
    try {
      await limiter.acquire(owner, ctx.signal)
    } catch (error) {
      if (error instanceof GhlRateLimitedError)
        throw new RetryableError(error.message, { retryAfterMs: error.retryAfterMs, cause: error })
      throw error
    }
    const answer = await fetch(`${api}/contacts/${event.entity.id}?pid=${process.pid}`, {
      signal: ctx.signal,
    })
    await answer.text()
    limiter.observe(owner, answer.status, Object.fromEntries(answer.headers))
    if (answer.status === 429) throw new RetryableError('GHL answered 429')
    if (!answer.ok) throw new Error(`GHL answered ${answer.status}`)
  },
  {
    id: 'ghl-calls',
    concurrency: 16,
    timeout: 5000,
    retry: { minDelay: 100, maxDelay: 2000, maxAttempts: 100 },
  },
)
await gateway.listen()
const { config, store } = gateway.running
limiter = new SharedGhlRateLimiter({
  store,
  limits: {
    burst: config.GHL_RATE_LIMIT_BURST,
    windowMs: config.GHL_RATE_LIMIT_WINDOW,
    daily: config.GHL_RATE_LIMIT_DAILY,
  },
  maxWaitMs: config.GHL_RATE_LIMIT_MAX_WAIT,
})
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => gateway.close().then(() => process.exit(0)))
