import type { Logger } from '../observe/logger.js'
import type { Store } from '../store/types.js'

export interface RetentionOptions {
  store: Store
  logger: Logger
  /** Events older than this, all of whose deliveries are done, are deleted. */
  retentionMs: number
  /** @default 3_600_000 (hourly) */
  intervalMs?: number
  /** Rows per delete transaction. @default 1000 */
  batch?: number
  now?: () => number
}

/**
 * Deletes processed events (and their deliveries, attempts and once-results) once they are
 * older than the retention, in small batches with a yield between them, so a large cleanup never
 * holds the write lock (SQLite) or long row locks (PostgreSQL) that ingest waits on. Events with a
 * dead or open delivery are kept until it is replayed, purged or done.
 */
export function startRetention(options: RetentionOptions): { runOnce(): Promise<number>; stop(): void } {
  const { store, logger, retentionMs } = options
  const batch = options.batch ?? 1000
  const now = options.now ?? Date.now
  let stopped = false
  let running: Promise<number> | undefined

  const runOnce = () => {
    running ??= (async () => {
      let total = 0
      try {
        const before = now() - retentionMs
        for (;;) {
          const deleted = await store.pruneEvents(before, batch)
          total += deleted
          if (deleted < batch || stopped) break
          await new Promise((resolve) => setImmediate(resolve))
        }
        if (total) logger.info({ deleted: total, retentionMs }, 'retention: deleted processed events')
      } catch (error) {
        logger.warn({ err: error }, 'retention: pruning failed; it runs again at the next interval')
      } finally {
        running = undefined
      }
      return total
    })()
    return running
  }

  const timer = setInterval(() => void runOnce(), options.intervalMs ?? 3_600_000)
  timer.unref()
  const first = setTimeout(() => void runOnce(), 60_000)
  first.unref()
  return {
    runOnce,
    stop() {
      stopped = true
      clearInterval(timer)
      clearTimeout(first)
    },
  }
}
