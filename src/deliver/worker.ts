import type { AttemptReport } from '../dispatch/attempt.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import type { CompiledSubscriber } from '../dispatch/subscribers.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import { GroupCommit } from '../store/group-commit.js'
import type { AttemptResult, ClaimedDelivery, Store } from '../store/types.js'
import { attemptResult } from './attempt-result.js'
import { runWithTimeout } from './run-attempt.js'
import { shareSlots } from './share-slots.js'

export interface WorkerOptions {
  store: Store
  registry: SubscriberRegistry
  logger: Logger
  metrics: Metrics
  /** Lease owner id; unique per process. */
  id: string
  /** Deliveries running at once in this process, all subscribers together. @default 32 */
  concurrency?: number
  /** Safety-net poll when nothing wakes the worker. @default 1000 */
  pollIntervalMs?: number
  /** Extra lease time beyond the longest subscriber timeout. @default 30000 */
  leaseGraceMs?: number
  now?: () => number
  random?: () => number
  /** Called for every attempt the store recorded (the live stream); a throw is logged. */
  onAttempt?: (delivery: ClaimedDelivery, result: AttemptResult) => void
}

/**
 * Claims due deliveries, runs them, and reports each attempt. One loop per process:
 * claim as many as there are free slots (per subscriber and overall) → run each with a timeout →
 * report results through a group commit (many finishes, one transaction) → claim again.
 * Woken in-process when ingest creates deliveries, by a timer for the next scheduled retry, by
 * PostgreSQL NOTIFY when another process does, and by a slow poll as a safety net.
 * Its parts: `share-slots.ts` (who gets the free slots), `run-attempt.ts` (one attempt under its
 * timeout), `attempt-result.ts` (what the store records for it).
 */
export class Worker {
  readonly #o: Required<Omit<WorkerOptions, 'random'>> & Pick<WorkerOptions, 'random'>
  readonly #inFlight = new Map<
    string,
    { subscriberId: string; abort: AbortController; done: Promise<void> }
  >()
  readonly #perSubscriber = new Map<string, number>()
  readonly #finisher: GroupCommit<AttemptResult, boolean>
  #running = false
  #looping = false
  #wakeRequested = false
  #timer: NodeJS.Timeout | undefined
  #nextTimerAt = Number.POSITIVE_INFINITY
  #stopped: Promise<void> | undefined
  /** Rotates who is offered slots first when there are more subscribers than slots. */
  #turn = 0

  constructor(options: WorkerOptions) {
    this.#o = {
      concurrency: 32,
      pollIntervalMs: 1000,
      leaseGraceMs: 30_000,
      now: Date.now,
      onAttempt: () => {},
      ...options,
    }
    this.#finisher = new GroupCommit({
      commit: (results) => options.store.finishAttempts(results, this.#o.now()),
      maxBatch: 256,
      concurrency: options.store.traits.commitConcurrency,
      maxQueued: 100_000,
      isolate: (error) => !options.store.isUnavailableError(error),
    })
  }

  get inFlight(): number {
    return this.#inFlight.size
  }

  start(): void {
    if (this.#running || this.#stopped) return
    this.#running = true
    this.wake()
  }

  /** Something may be due now: claim on the next turn of the event loop. */
  wake(): void {
    if (!this.#running) return
    this.#wakeRequested = true
    if (!this.#looping) setImmediate(() => void this.#loop())
  }

  /** Claims and runs whatever is due now, and waits for it to finish (tests with a fixed clock). */
  async runDue(): Promise<number> {
    const started = await this.#claimAndStart()
    await Promise.all([...this.#inFlight.values()].map((run) => run.done))
    await this.#finisher.drain()
    return started
  }

  /**
   * Stops claiming, lets running attempts finish for up to `timeoutMs`, then aborts them (their
   * results are still recorded as failures and retried later); idempotent.
   */
  stop(timeoutMs = 10_000): Promise<void> {
    this.#stopped ??= (async () => {
      this.#running = false
      clearTimeout(this.#timer)
      const running = [...this.#inFlight.values()]
      const settled = Promise.all(running.map((run) => run.done))
      let timer: NodeJS.Timeout | undefined
      const timedOut = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeoutMs)
        }),
      ])
      clearTimeout(timer)
      if (timedOut) {
        this.#o.logger.warn({ running: this.#inFlight.size }, 'stopping: aborting attempts still running')
        for (const run of this.#inFlight.values()) run.abort.abort(new Error('the gateway is shutting down'))
        await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 1000))])
      }
      await this.#finisher.drain()
    })()
    return this.#stopped
  }

  async #loop(): Promise<void> {
    if (this.#looping) return
    this.#looping = true
    try {
      while (this.#running && this.#wakeRequested) {
        this.#wakeRequested = false
        const { started, saturated } = await this.#claimOnce()
        // A subscriber that got every slot it was offered may have more waiting: go again.
        // Otherwise sleep until woken (an attempt finishing, new work, a timer, the poll).
        if (started > 0 && saturated) this.#wakeRequested = true
      }
    } catch (error) {
      this.#o.logger.error({ err: error }, 'claiming deliveries failed; retrying at the next poll')
    } finally {
      this.#looping = false
      this.#schedulePoll()
    }
  }

  async #claimAndStart(): Promise<number> {
    return (await this.#claimOnce()).started
  }

  async #claimOnce(): Promise<{ started: number; saturated: boolean }> {
    const slots = this.#slots()
    if (slots.length === 0) return { started: 0, saturated: false }
    const now = this.#o.now()
    const claimed = await this.#o.store.claimDeliveries({
      worker: this.#o.id,
      now,
      leaseMs: this.#leaseMs(),
      slots,
    })
    for (const delivery of claimed) this.#start(delivery)
    const got = new Map<string, number>()
    for (const delivery of claimed) got.set(delivery.subscriberId, (got.get(delivery.subscriberId) ?? 0) + 1)
    return { started: claimed.length, saturated: slots.some((s) => got.get(s.subscriberId) === s.limit) }
  }

  #slots(): { subscriberId: string; limit: number }[] {
    const now = this.#o.now()
    const wants = []
    for (const subscriber of this.#o.registry.list()) {
      // Rate limits, circuit breakers and pauses: the subscriber says how many may start now.
      const allowed = subscriber.available
        ? Math.max(0, Math.floor(subscriber.available(now)))
        : Number.POSITIVE_INFINITY
      const cap = Math.min(allowed, subscriber.concurrency - (this.#perSubscriber.get(subscriber.id) ?? 0))
      if (cap > 0) wants.push({ subscriberId: subscriber.id, cap })
    }
    return shareSlots(wants, this.#o.concurrency - this.#inFlight.size, this.#turn++)
  }

  #leaseMs(): number {
    const longest = Math.max(0, ...this.#o.registry.list().map((s) => s.timeoutMs))
    return longest + this.#o.leaseGraceMs
  }

  #start(delivery: ClaimedDelivery): void {
    const subscriber = this.#o.registry.get(delivery.subscriberId)
    const abort = new AbortController()
    this.#perSubscriber.set(delivery.subscriberId, (this.#perSubscriber.get(delivery.subscriberId) ?? 0) + 1)
    const done = this.#attempt(delivery, subscriber, abort).finally(() => {
      this.#inFlight.delete(delivery.id)
      this.#perSubscriber.set(
        delivery.subscriberId,
        (this.#perSubscriber.get(delivery.subscriberId) ?? 1) - 1,
      )
      this.wake()
    })
    this.#inFlight.set(delivery.id, { subscriberId: delivery.subscriberId, abort, done })
  }

  async #attempt(
    delivery: ClaimedDelivery,
    subscriber: CompiledSubscriber | undefined,
    abort: AbortController,
  ) {
    const { logger, metrics, now } = this.#o
    // Every line of this attempt, the handler's own `ctx.logger` lines too, says which attempt it is:
    // the number within the cycle (as ctx.attempt has it) and the cycle (0, or the n-th replay).
    const log = logger.child({
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      subscriber: delivery.subscriberId,
      attempt: delivery.attempts,
      cycle: delivery.cycle,
    })
    if (!subscriber) {
      // Unregistered since the claim: give it back untouched for a process that has it.
      await this.#o.store.releaseDeliveries([delivery.id], this.#o.id, now())
      return
    }
    const startedAt = now()
    if (delivery.totalAttempts === 1)
      metrics.handlerStartDelay.observe((startedAt - delivery.event.receivedAt) / 1000)
    const started = performance.now()
    let report: AttemptReport
    if (delivery.attempts > subscriber.retry.maxAttempts) {
      // Lost leases used the attempts up (each crash while running counts): do not run it again.
      report = {
        outcome: 'permanent',
        error: new Error('attempts used up by lost leases (crashes while running)'),
      }
    } else {
      report = await runWithTimeout(subscriber, delivery, abort, log, now)
    }
    const durationMs = performance.now() - started
    const result = attemptResult(delivery, subscriber.retry, report, { startedAt, durationMs }, this.#o)
    // A deferral (GHL's rate limit, not a failure) is its own outcome: one more label value.
    const outcome =
      result.next.state === 'retry_scheduled' && result.next.deferred ? 'deferred' : result.next.state
    metrics.attempts.inc({ subscriber: subscriber.id, outcome })
    metrics.attemptSeconds.observe({ outcome }, durationMs / 1000)
    const applied = await this.#finisher.submit(result).catch((error: unknown) => {
      log.error({ err: error }, 'could not record the attempt; the lease will expire and it will run again')
      return false
    })
    // Only now is the delivery `retry_scheduled` in the store: a wake-up scheduled earlier could
    // fire while it is still leased, find nothing, and leave the retry to the next poll.
    if (applied && result.next.state === 'retry_scheduled') this.#wakeAt(result.next.runAt)
    const line = {
      outcome,
      durationMs: Math.round(durationMs * 1000) / 1000,
    }
    if (applied) {
      try {
        this.#o.onAttempt(delivery, result)
      } catch (error) {
        log.warn({ err: error }, 'an attempt listener failed')
      }
    }
    if (!applied) log.warn(line, 'attempt finished after its lease was lost; the new holder decides')
    else if (result.next.state === 'succeeded') log.debug(line, 'delivered')
    else if (outcome === 'deferred')
      log.info(
        { ...line, error: result.next.error },
        "deferred by GHL's rate limit (not counted as an attempt)",
      )
    else
      log.warn(
        { ...line, error: result.next.error },
        result.next.state === 'dead' ? 'dead-lettered' : 'will retry',
      )
  }

  /** Wake up at `at` (a scheduled retry) unless something else wakes us sooner. */
  #wakeAt(at: number): void {
    if (!this.#running || at >= this.#nextTimerAt) return
    clearTimeout(this.#timer)
    this.#nextTimerAt = at
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, at - this.#o.now()))
    this.#timer.unref()
  }

  #schedulePoll(): void {
    this.#wakeAt(this.#o.now() + this.#o.pollIntervalMs)
  }

  #onTimer(): void {
    const due = this.#nextTimerAt
    this.#nextTimerAt = Number.POSITIVE_INFINITY
    // Timers run on libuv's cached loop time, which lags Date.now() when the loop is busy: a timer
    // can fire a few ms before `due`. Claiming then would find the retry not yet due, and only the
    // next poll would pick it up; wait out the rest instead.
    if (this.#o.now() < due) this.#wakeAt(due)
    else this.wake()
  }
}
