import { coerceError } from '../errors.js'
import type { Logger } from '../observe/logger.js'
import type { Store } from '../store/types.js'

export interface DlqJobRunnerOptions {
  store: Store
  logger: Logger
  /** Lease owner: the process's instance id. */
  owner: string
  /** Replayed deliveries are due now: wake the workers. */
  onWork: () => void
  /** How often to look for a job when not woken. @default 1000 */
  pollIntervalMs?: number
  /** A batch renews the lease to now + this; another process resumes the job after it. @default 30_000 */
  leaseMs?: number
  /** Dead deliveries one batch looks at. @default 250 on SQLite, 1000 on PostgreSQL */
  window?: number
  now?: () => number
}

export interface DlqJobRunner {
  start(): void
  /** A job was created: look now rather than at the next poll. */
  wake(): void
  /** Runs jobs until none is left to claim (tests). */
  runAvailable(): Promise<void>
  /** Stops claiming; waits for the batch in flight (its transaction commits or rolls back). Idempotent. */
  stop(): Promise<void>
}

/**
 * Runs bulk dead-letter jobs (store/dlq-job-store.ts) in this process, one at a time: claim the
 * oldest unfinished job whose lease is free, run its batches until it ends, then look again. Each
 * batch is one transaction (store/sql/dlq-job-batch.ts), so stopping between batches — or a crash
 * anywhere — leaves the job at a consistent cursor, resumed by whichever process claims it after
 * the lease runs out. Between batches it yields: on SQLite (one writer, on this event loop) it
 * pauses as long as the batch took, as retention does, so webhooks and the worker's commits get the
 * write lock in between; on PostgreSQL it only yields to the event loop.
 */
export function createDlqJobRunner(options: DlqJobRunnerOptions): DlqJobRunner {
  const { store, logger, owner } = options
  const exclusive = store.traits.exclusiveWrites
  const pollMs = options.pollIntervalMs ?? 1000
  const leaseMs = options.leaseMs ?? 30_000
  const window = options.window ?? (exclusive ? 250 : 1000)
  const now = options.now ?? Date.now
  let started = false
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const pause = (ms: number) =>
    exclusive
      ? new Promise((resolve) => setTimeout(resolve, Math.max(1, ms)))
      : new Promise((resolve) => setImmediate(resolve))

  const runJob = async (id: string) => {
    logger.info({ job: id }, 'dlq job: running')
    for (;;) {
      if (stopped) return
      const began = performance.now()
      try {
        const outcome = await store.runDlqJobBatch(id, owner, now(), { leaseMs, window })
        if (outcome.changed > 0) options.onWork()
        if (outcome.status === 'succeeded') {
          logger.info({ job: id }, 'dlq job: finished')
          return
        }
        // Cancelled, or the lease lost (this process stalled longer than the lease): someone else's now.
        if (outcome.status === 'lost') return
      } catch (caught) {
        const error = coerceError(caught)
        if (store.isUnavailableError(error)) {
          // The lease runs out and the job resumes from its cursor, here or elsewhere.
          logger.warn({ err: error, job: id }, 'dlq job: the database is unavailable; resuming later')
          return
        }
        logger.error({ err: error, job: id }, 'dlq job: a batch failed; the job is marked failed')
        await store.failDlqJob(id, owner, error.message, now()).catch(() => {})
        return
      }
      await pause(performance.now() - began)
    }
  }

  const runAvailable = () => {
    running ??= (async () => {
      try {
        while (!stopped) {
          const id = await store.claimDlqJob(owner, now(), leaseMs)
          if (id === undefined) return
          await runJob(id)
        }
      } catch (error) {
        logger.warn({ err: error }, 'dlq job: could not claim a job; trying again at the next poll')
      } finally {
        running = undefined
      }
    })()
    return running
  }

  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => {
      void runAvailable().then(schedule)
    }, pollMs)
    timer.unref()
  }

  return {
    start() {
      if (started || stopped) return
      started = true
      schedule()
    },
    wake() {
      if (started && !stopped) void runAvailable()
    },
    runAvailable,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
