import { coerceError, GatewayError, RETRY_AFTER_SECONDS } from '../errors.js'
import type { GatewayInstance, Store } from '../store/types.js'

/**
 * Whether this process can take webhooks: `/readyz`, and GHL's readiness check
 * (`GET /webhooks/ghl/verify`) on the gateway's own server and on mounted handlers alike. Not
 * draining, no recent failed commit, and the store accepts a write (this process's heartbeat row):
 * a read alone would call a full disk or a read-only replica "ready" while every webhook gets 503.
 */

export interface ReadinessOptions {
  store: Store
  instance: GatewayInstance
  isDraining: () => boolean
  /** Why the last webhook commit failed, if it did so recently (see Ingestor.recentStorageFailure). */
  recentStorageFailure?: ((now: number) => string | undefined) | undefined
  /** How long readiness waits for the database. @default 2000 */
  pingTimeoutMs?: number | undefined
}

/** Resolves when ready; otherwise throws the GatewayError to answer (503). */
export function readiness(options: ReadinessOptions): () => Promise<void> {
  const timeout = options.pingTimeoutMs ?? 2000
  return async () => {
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
}
