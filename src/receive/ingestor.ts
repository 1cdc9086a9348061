import { coerceError, GatewayError, RETRY_AFTER_SECONDS } from '../errors.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import { GroupCommit, QueueFullError } from '../store/group-commit.js'
import type { InsertOutcome, NewEvent, Store } from '../store/types.js'

export interface IngestorOptions {
  store: Store
  metrics: Metrics
  logger: Logger
  /** Most events per transaction. @default 512 */
  maxBatch?: number
  /**
   * How long a commit may wait for requests that are still verifying (see `expect`); 0 commits on
   * the next event-loop turn. Required, so the app cannot forget to pass INGEST_COMMIT_HOLD.
   */
  maxHoldMs: number
  /** Answer 429 when the backlog exceeds this; 0 disables. @default 100000 */
  highWater?: number
  /** How often the backlog is re-counted in the database. @default 1000 */
  backlogRefreshMs?: number
  /** Called after a commit that created deliveries to claim (wakes the worker). */
  onWork?: () => void
  /** This process's worker, when it runs: takes deliveries it can start at once (IngestHandoff). */
  handoff?: IngestHandoff
  /** The backlog reached the high-water mark (`over`), or fell below it again (operational events). */
  onHighWater?: (over: boolean, backlog: number, highWater: number) => void
}

/**
 * Deliveries the local worker can start at once are stored already leased to it, and handed over
 * when the commit is done: no claim statement, no wait for one. Implemented by the Worker.
 */
export interface IngestHandoff {
  /** Before the commit: sets `lease` on the deliveries a free slot will take. */
  lease(events: readonly NewEvent[]): void
  /** After the commit (its outcomes) or its failure (undefined): starts them, or forgets the leases. */
  settle(events: readonly NewEvent[], outcomes: readonly InsertOutcome[] | undefined): void
}

const noop = () => {}

/**
 * The store-before-ack step. `submit` resolves once the event is committed (or recognised as a
 * duplicate) and throws a catalog error otherwise, so the caller can only answer 2xx for
 * something durable.
 */
export interface Ingestor {
  /**
   * A request has started verifying and may submit soon: with a hold (`maxHoldMs` > 0) commits
   * wait for it, briefly, rather than go out half full. Call the returned function once, when it
   * submits or is rejected.
   */
  expect(): () => void
  submit(event: NewEvent): Promise<InsertOutcome>
  /** True while the backlog is above the high-water mark: new webhooks get 429. */
  overHighWater(): boolean
  /**
   * The last commit failed because the database could not take it (disk full, read-only, down),
   * less than 10 s ago and with no commit since: readiness reports it even when its own small
   * heartbeat write happens to fit.
   */
  recentStorageFailure(now: number): string | undefined
  /** Best estimate of stored-but-undispatched events. */
  backlog(): number
  /** Re-counts the backlog now (also runs on a timer). */
  refreshBacklog(): Promise<void>
  /** Stops the timer and waits for every submitted event to be committed or failed. */
  close(): Promise<void>
}

export function createIngestor(options: IngestorOptions): Ingestor {
  const { store, metrics, logger } = options
  const highWater = options.highWater ?? 100_000
  let counted = 0
  let acceptedSinceCount = 0
  let lastCommitOkAt = 0
  let lastFailure: { at: number; message: string } | undefined
  let wasOver = false
  // Where the backlog changes: the count (timer) and each accepted event; one comparison each.
  const noteLevel = () => {
    const backlog = counted + acceptedSinceCount
    const over = highWater > 0 && backlog >= highWater
    if (over === wasOver) return
    wasOver = over
    options.onHighWater?.(over, backlog, highWater)
  }

  // Requests between "started verifying" and "submitted or rejected": the commit's hold condition.
  let expected = 0
  const { maxHoldMs } = options
  const commits = new GroupCommit<NewEvent, InsertOutcome>({
    holdWhile: () => expected > 0,
    maxHoldMs,
    commit: async (events) => {
      let outcomes: InsertOutcome[]
      options.handoff?.lease(events)
      try {
        outcomes = await store.insertEvents(events)
      } catch (error) {
        options.handoff?.settle(events, undefined)
        if (store.isUnavailableError(error))
          lastFailure = { at: Date.now(), message: coerceError(error).message }
        throw error
      }
      lastCommitOkAt = Date.now()
      options.handoff?.settle(events, outcomes)
      // Deliveries left for a claim: this worker's (slots full) or another process's.
      if (
        options.onWork &&
        events.some(
          (e, i) => outcomes[i]!.status === 'accepted' && e.deliveries.some((d) => d.lease === undefined),
        )
      ) {
        options.onWork()
      }
      return outcomes
    },
    maxBatch: options.maxBatch ?? 512,
    // SQLite writes are synchronous: a second commit in flight could not start before the first.
    // PostgreSQL overlaps two so one batch's round trip hides behind the other's.
    concurrency: store.traits.commitConcurrency,
    maxQueued: 20_000,
    isolate: (error) => !store.isUnavailableError(error),
    onCommit: (size, ms) => {
      metrics.commitBatchSize.observe(size)
      metrics.commitSeconds.observe(ms / 1000)
    },
  })

  const refreshBacklog = async () => {
    try {
      const before = acceptedSinceCount
      counted = await store.countBacklog()
      acceptedSinceCount -= before
      metrics.backlog.set(counted + acceptedSinceCount)
      noteLevel()
    } catch (error) {
      logger.warn({ err: error }, 'could not count the backlog; keeping the last count')
    }
  }
  const timer = setInterval(() => void refreshBacklog(), options.backlogRefreshMs ?? 1000)
  timer.unref()

  return {
    expect() {
      // Without a hold nothing waits on the count: skip the bookkeeping (one closure per request).
      if (maxHoldMs === 0) return noop
      expected++
      let done = false
      return () => {
        if (done) return
        done = true
        expected--
        if (expected === 0) commits.poke()
      }
    },
    async submit(event) {
      try {
        const outcome = await commits.submit(event)
        if (outcome.status === 'accepted') {
          acceptedSinceCount++
          noteLevel()
        }
        return outcome
      } catch (error) {
        if (error instanceof QueueFullError) {
          throw new GatewayError(
            'backpressure',
            'too many webhooks are waiting to be stored; retry shortly',
            {
              retryAfter: RETRY_AFTER_SECONDS,
            },
          )
        }
        if (store.isUnavailableError(error)) {
          throw new GatewayError(
            'storage_unavailable',
            // Over a network a commit can succeed and its answer be lost; a retry is then a duplicate.
            'the database is unavailable, so the event was not accepted; retry later (a retry of an event ' +
              'that did get stored is recognised as a duplicate)',
            { retryAfter: RETRY_AFTER_SECONDS, cause: error },
          )
        }
        throw error
      }
    },
    overHighWater: () => highWater > 0 && counted + acceptedSinceCount >= highWater,
    recentStorageFailure(now) {
      if (!lastFailure || lastFailure.at < lastCommitOkAt || now - lastFailure.at > 10_000) return undefined
      return lastFailure.message
    },
    backlog: () => counted + acceptedSinceCount,
    refreshBacklog,
    async close() {
      clearInterval(timer)
      await commits.drain()
    },
  }
}
