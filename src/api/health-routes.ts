import type { FastifyInstance } from 'fastify'
import { healthSummary } from '../observe/health-summary.js'
import type { Store } from '../store/types.js'
import { VERSION } from '../version.js'
import { type AdminAccess, requireAdmin } from './auth.js'

export interface HealthRoutesOptions {
  store: Store
  /** Whether webhooks can be taken (receive/readiness.ts); mounted handlers answer with the same. */
  ready: () => Promise<void>
  /** Shown by /health. */
  isDraining: () => boolean
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  now?: () => number
}

/**
 * Liveness and readiness. `/healthz` says the process runs; `/readyz` and GHL's readiness check
 * (`GET /webhooks/ghl/verify`) say it can take webhooks (receive/readiness.ts).
 */
export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  const { ready } = options

  app.get('/healthz', async () => ({ status: 'ok', version: VERSION }))
  app.get('/readyz', async () => {
    await ready()
    return { status: 'ready', version: VERSION, store: options.store.traits.name }
  })
  app.get('/webhooks/ghl/verify', async () => {
    await ready()
    return { status: 'ready', version: VERSION }
  })
  // The processing summary: counts of business activity, so behind the admin token.
  app.get('/health', { onRequest: requireAdmin(options.access) }, async (_request, reply) => {
    const now = (options.now ?? Date.now)()
    const [stats, needsReauth] = await Promise.all([
      options.store.processingStats(now),
      // Locations whose GHL calls fail until a person re-authorises them: a detail, not a health
      // status (the gateway itself is fine). Counted up to 10,000 from an index (0.1 ms).
      options.store.countGhlTokens('needs_reauth', 10_000),
    ])
    const summary = healthSummary(stats, now)
    reply.status(summary.status === 'unhealthy' ? 503 : 200)
    return {
      ...summary,
      version: VERSION,
      draining: options.isDraining(),
      ghlTokensNeedingReauth: needsReauth,
    }
  })
}
