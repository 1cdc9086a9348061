import type { FastifyInstance } from 'fastify'
import { coerceError, GatewayError, RETRY_AFTER_SECONDS } from '../errors.js'
import { healthSummary } from '../observe/health-summary.js'
import type { GatewayInstance, Store } from '../store/types.js'
import { VERSION } from '../version.js'
import { type AdminAccess, requireAdmin } from './auth.js'

export interface HealthRoutesOptions {
  store: Store
  instance: GatewayInstance
  isDraining: () => boolean
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  now?: () => number
  /** Why the last webhook commit failed, if it did so recently (see Ingestor.recentStorageFailure). */
  recentStorageFailure?: (now: number) => string | undefined
  /** How long readiness waits for the database. @default 2000 */
  pingTimeoutMs?: number
}

/**
 * Liveness and readiness. `/healthz` says the process runs; `/readyz` and GHL's readiness check
 * (`GET /webhooks/ghl/verify`) say it can take webhooks: we are not draining and the store accepts
 * a write (this process's heartbeat row). A read alone would call a full disk or a read-only
 * replica "ready" while every webhook gets 503.
 */
export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  const timeout = options.pingTimeoutMs ?? 2000

  const ready = async () => {
    if (options.isDraining()) throw new GatewayError('shutting_down', 'the gateway is shutting down')
    const failed = options.recentStorageFailure?.(Date.now())
    if (failed !== undefined) {
      throw new GatewayError('storage_unavailable', `the last commit failed: ${failed}`, {
        retryAfter: RETRY_AFTER_SECONDS,
      })
    }
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        options.store.heartbeat(options.instance),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout)
        }),
      ])
    } catch (error) {
      throw new GatewayError(
        'storage_unavailable',
        `the database is not reachable: ${coerceError(error).message}`,
        {
          retryAfter: RETRY_AFTER_SECONDS,
          cause: error,
        },
      )
    } finally {
      clearTimeout(timer)
    }
  }

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
