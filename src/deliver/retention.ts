import type { Logger } from '../observe/logger.js'
import type { Store } from '../store/types.js'

export interface RetentionOptions {
  store: Store
  logger: Logger
  /** Events older than this, all of whose deliveries are done, are deleted. */
  retentionMs: number
  /** @default 3_600_000 (hourly) */
  intervalMs?: number
  /** Events per delete transaction. @default 250 on SQLite, 1000 on PostgreSQL */
  batch?: number
  now?: () => number
}

/**
 * Deletes processed events (and their deliveries, attempts and once-results) once they are
 * older than the retention, in small batches, so a large cleanup never holds the write lock
 * (SQLite) or long row locks (PostgreSQL) that ingest waits on. On SQLite it also pauses after each
 * batch as long as the batch took: at full speed, deleting 200,000 events raised the p99 of webhooks
 * arriving at 1,000/s from 35 to ~460 ms, with the pause and 250-event batches to ~210 ms
 * (bench/retention.ts). On PostgreSQL pausing only made the disturbance last longer (p99 85 vs
 * 35 ms). Events with a dead or open delivery are kept until it is replayed, purged or done.
 */
export function startRetention(options: RetentionOptions): { runOnce(): Promise<number>; stop(): void } {
  const { store, logger, retentionMs } = options
  const exclusive = store.traits.exclusiveWrites
  const batch = options.batch ?? (exclusive ? 250 : 1000)
  const now = options.now ?? Date.now
  let stopped = false
  let running: Promise<number> | undefined

  const runOnce = () => {
    running ??= (async () => {
      let total = 0
      try {
        const before = now() - retentionMs
        for (;;) {
          const started = performance.now()
          const deleted = await store.pruneEvents(before, batch)
          total += deleted
          if (deleted < batch || stopped) break
          // SQLite deletes on the event loop and holds the file's only write lock while it does: pause
          // as long as the batch took. PostgreSQL deletes elsewhere and concurrently: yield only.
          if (exclusive)
            await new Promise((resolve) => setTimeout(resolve, Math.max(1, performance.now() - started)))
          else await new Promise((resolve) => setImmediate(resolve))
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
