import type { AttemptReport } from '../dispatch/attempt.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import type { CompiledSubscriber } from '../dispatch/subscribers.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import { startAttemptSpan } from '../observe/tracing.js'
import { leasedAtIngest } from '../store/delivery-rows.js'
import { GroupCommit } from '../store/group-commit.js'
import type { AttemptResult, ClaimedDelivery, InsertOutcome, NewEvent, Store } from '../store/types.js'
import { attemptResult } from './attempt-result.js'
import { HeldDeliveries } from './held-deliveries.js'
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
  /** How long a result may wait for others to be recorded with it. @default 5 on PostgreSQL, 0 on SQLite */
  finishHoldMs?: number
  /** Safety-net poll when nothing wakes the worker. @default 1000 */
  pollIntervalMs?: number
  /** Extra lease time beyond the longest subscriber timeout. @default 30000 */
  leaseGraceMs?: number
  /**
   * Claim ahead for subscribers without a rate limit: hold up to two more rounds of their
   * concurrency, leased, and start from there (held-deliveries.ts says why). @default true
   */
  claimAhead?: boolean
  /** Store new deliveries a free slot can start at once leased to this worker (`lease`). @default true */
  leaseAtIngest?: boolean
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
  readonly #o: Required<Omit<WorkerOptions, 'random' | 'finishHoldMs'>> & Pick<WorkerOptions, 'random'>
  readonly #inFlight = new Map<
    string,
    { subscriberId: string; abort: AbortController; done: Promise<void> }
  >()
  /** Attempts running, per subscriber: what `concurrency` limits. */
  readonly #perSubscriber = new Map<string, number>()
  #attempting = 0
  readonly #finisher: GroupCommit<AttemptResult, boolean>
  readonly #held = new HeldDeliveries()
  /** Subscribers whose last claim came back short: not claimed for again until `wake()`. */
  readonly #drained = new Set<string>()
  #loopDone: Promise<void> = Promise.resolve()
  /** Slots promised to deliveries leased at ingest whose commit is not done yet, per subscriber. */
  readonly #promised = new Map<string, number>()
  #promisedTotal = 0
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
      claimAhead: true,
      leaseAtIngest: true,
      now: Date.now,
      onAttempt: () => {},
      ...options,
    }
    this.#finisher = new GroupCommit({
      commit: (results) => options.store.finishAttempts(results, this.#o.now()),
      maxBatch: 256,
      concurrency: 1,
      // A result is recorded after its slot was freed, so waiting costs no throughput; on
      // PostgreSQL each statement is a round trip and a socket write (~30 % of the gateway's CPU
      // per delivery at 1,000/s when every result went alone): while attempts are still running,
      // gather their results for a few ms.
      holdWhile: () => this.#attempting > 0,
      maxHoldMs: options.finishHoldMs ?? (options.store.traits.commitConcurrency > 1 ? 5 : 0),
      maxQueued: 100_000,
      isolate: (error) => !options.store.isUnavailableError(error),
    })
  }

  /** Attempts running now (their results may still be on their way to the store). */
  get inFlight(): number {
    return this.#attempting
  }

  start(): void {
    if (this.#running || this.#stopped) return
    this.#running = true
    this.wake()
  }

  /** Something may be due now: claim on the next turn of the event loop. */
  wake(): void {
    this.#drained.clear()
    this.#kick()
  }

  /** Slots came free: start held deliveries, and claim for subscribers that may have more due. */
  #kick(): void {
    if (!this.#running) return
    this.#wakeRequested = true
    if (!this.#looping) setImmediate(() => void this.#loop())
  }

  /**
   * Ingest's side of the handoff (IngestHandoff): before a commit, leases to this worker the new
   * deliveries it can start soon (a free slot, or a place behind the held ones), never for ordered
   * ones (an older delivery of the entity may be open) and never past a rate limit or an open circuit.
   */
  lease(events: readonly NewEvent[]): void {
    if (!this.#running || !this.#o.leaseAtIngest) return
    // Room: free slots, plus held places when claiming ahead (what a claim could take now).
    let free = this.#freeSlots() + this.#heldCap() - this.#held.size - this.#promisedTotal
    if (free <= 0) return
    const now = this.#o.now()
    let until: number | undefined
    for (const event of events) {
      for (const delivery of event.deliveries) {
        if (free <= 0) return
        const id = delivery.subscriberId
        if (delivery.orderingKey !== null || delivery.runAt > now) continue
        const subscriber = this.#o.registry.get(id)
        if (!subscriber || Number.isFinite(this.#allowed(subscriber, now))) continue
        // Up to one round of its concurrency beyond what runs: they queue behind the held ones
        // (older), and the held ones still fall to the low-water mark where a claim fetches the
        // older rows of the table — so a backlog is caught up without new deliveries paying for
        // a claim each, and without starving the old ones.
        const promised = this.#promised.get(id) ?? 0
        const depth = this.#o.claimAhead ? 2 * subscriber.concurrency : subscriber.concurrency
        if (this.#runningOf(id) + this.#held.count(id) + promised >= depth) continue
        until ??= now + this.#leaseMs()
        delivery.lease = { owner: this.#o.id, until }
        this.#promised.set(id, promised + 1)
        this.#promisedTotal++
        free--
      }
    }
  }

  /** After the commit: starts the deliveries leased at ingest, or forgets the leases (not stored). */
  settle(events: readonly NewEvent[], outcomes: readonly InsertOutcome[] | undefined): void {
    const late: ClaimedDelivery[] = []
    events.forEach((event, i) => {
      const outcome = outcomes?.[i]
      for (const delivery of event.deliveries) {
        if (!delivery.lease) continue
        this.#promised.set(delivery.subscriberId, (this.#promised.get(delivery.subscriberId) ?? 1) - 1)
        this.#promisedTotal--
        if (outcome?.status !== 'accepted') {
          // Not stored (a failed commit, a duplicate): a retried commit plans it afresh.
          delete delivery.lease
          continue
        }
        const claimed = leasedAtIngest(event, outcome.seq, { ...delivery, lease: delivery.lease })
        if (this.#stopped) late.push(claimed)
        else this.#held.hold(claimed, this.#o.now())
      }
    })
    if (!this.#stopped) this.#startHeld()
    // Committed while stopping: give it back unstarted for the next process.
    if (late.length)
      this.#giveBack(late).catch((error: unknown) =>
        this.#o.logger.warn({ err: error }, 'could not give back deliveries; their leases will expire'),
      )
  }

  /** Claims and runs whatever is due now, and waits for it to finish (tests with a fixed clock). */
  async runDue(): Promise<number> {
    this.#drained.clear()
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
      // A claim in flight gives its rows back itself (it sees #stopped); held ones go back now.
      await this.#loopDone
      await this.#giveBack(this.#held.takeAll()).catch((error: unknown) =>
        this.#o.logger.warn({ err: error }, 'could not give back held deliveries; their leases will expire'),
      )
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
    let done!: () => void
    this.#loopDone = new Promise((resolve) => {
      done = resolve
    })
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
      done()
      this.#schedulePoll()
    }
  }

  async #claimAndStart(): Promise<number> {
    return (await this.#claimOnce()).started
  }

  /**
   * One turn: give back deliveries held too long, start held ones in the free slots, claim for the
   * subscribers whose held deliveries ran low, start what the claim brought.
   */
  async #claimOnce(): Promise<{ started: number; saturated: boolean }> {
    const now = this.#o.now()
    const stale = this.#held.takeHeldBefore(now - this.#maxHoldMs())
    if (stale.length) await this.#giveBack(stale)
    let started = this.#startHeld()
    const slots = this.#claimSlots()
    if (slots.length === 0) return { started, saturated: false }
    const claimed = await this.#o.store.claimDeliveries({
      worker: this.#o.id,
      now,
      leaseMs: this.#leaseMs(),
      slots,
    })
    if (this.#stopped) {
      // Claimed while stopping: give it all back unstarted.
      await this.#giveBack(claimed)
      return { started, saturated: false }
    }
    const heldAt = this.#o.now()
    const got = new Map<string, number>()
    for (const delivery of claimed) {
      this.#held.hold(delivery, heldAt)
      got.set(delivery.subscriberId, (got.get(delivery.subscriberId) ?? 0) + 1)
    }
    // Short of what was asked: nothing more is due for it until something says otherwise (wake()).
    for (const s of slots) if ((got.get(s.subscriberId) ?? 0) < s.limit) this.#drained.add(s.subscriberId)
    started += this.#startHeld()
    return { started, saturated: slots.some((s) => got.get(s.subscriberId) === s.limit) }
  }

  /** Starts held deliveries, oldest first, in the slots free now (per subscriber and overall). */
  #startHeld(): number {
    if (this.#held.size === 0) return 0
    const now = this.#o.now()
    let free = this.#freeSlots()
    let started = 0
    const ids = this.#held.subscribers()
    const first = this.#turn % ids.length
    for (let i = 0; i < ids.length && free > 0; i++) {
      const id = ids[(first + i) % ids.length]!
      const subscriber = this.#o.registry.get(id)
      // Unregistered since the claim: #start gives them back.
      const n = subscriber ? Math.min(free, this.#startable(subscriber, now)) : free
      for (const delivery of this.#held.take(id, n)) {
        this.#start(delivery)
        started++
        free--
      }
    }
    return started
  }

  /** How many of a subscriber's deliveries may start now: its free slots, its rate limit, its circuit. */
  #startable(subscriber: CompiledSubscriber, now: number): number {
    return Math.min(this.#allowed(subscriber, now), subscriber.concurrency - this.#runningOf(subscriber.id))
  }

  #allowed(subscriber: CompiledSubscriber, now: number): number {
    // Rate limits, circuit breakers and pauses: the subscriber says how many may start now.
    return subscriber.available
      ? Math.max(0, Math.floor(subscriber.available(now)))
      : Number.POSITIVE_INFINITY
  }

  #runningOf(subscriberId: string): number {
    return this.#perSubscriber.get(subscriberId) ?? 0
  }

  /**
   * How many each subscriber should claim now. One with a limit on what may start (rate limit,
   * half-open circuit) claims only that. One without claims ahead: when its held deliveries have
   * fallen to `concurrency`, enough to hold `2 × concurrency` again — so each claim takes about a
   * `concurrency` of rows, not the one slot that just came free.
   */
  #claimSlots(): { subscriberId: string; limit: number }[] {
    const now = this.#o.now()
    const wants = []
    for (const subscriber of this.#o.registry.list()) {
      if (this.#drained.has(subscriber.id)) continue
      const allowed = this.#allowed(subscriber, now)
      // Deliveries leased at ingest whose commit is still pending are held ones a moment later.
      const held = this.#held.count(subscriber.id) + (this.#promised.get(subscriber.id) ?? 0)
      const free = subscriber.concurrency - this.#runningOf(subscriber.id)
      let cap: number
      if (Number.isFinite(allowed) || !this.#o.claimAhead) cap = Math.min(allowed, free) - held
      else cap = held > subscriber.concurrency ? 0 : free + 2 * subscriber.concurrency - held
      if (cap > 0) wants.push({ subscriberId: subscriber.id, cap })
    }
    const room = this.#freeSlots() + this.#heldCap() - this.#held.size - this.#promisedTotal
    return shareSlots(wants, room, this.#turn++)
  }

  /** Held deliveries, all subscribers together: two rounds of the worker's concurrency. */
  #heldCap(): number {
    return this.#o.claimAhead ? 2 * this.#o.concurrency : 0
  }

  /** A held delivery not started by then is given back: it still has its timeout and half the grace. */
  #maxHoldMs(): number {
    return this.#o.leaseGraceMs / 2
  }

  async #giveBack(deliveries: readonly ClaimedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return
    await this.#o.store.releaseDeliveries(
      deliveries.map((d) => d.id),
      this.#o.id,
      this.#o.now(),
    )
  }

  #leaseMs(): number {
    const longest = Math.max(0, ...this.#o.registry.list().map((s) => s.timeoutMs))
    return longest + this.#o.leaseGraceMs
  }

  /**
   * Slots for new attempts: the worker's concurrency minus the attempts running. An attempt whose
   * result is still being recorded no longer holds one — the destination is done with it, and on
   * PostgreSQL the commit (a round trip and a WAL flush) would otherwise stretch every slot's turn,
   * capping a fast destination at concurrency ÷ commit time. Bounded: if recording falls behind,
   * at most three more rounds of results wait for it before nothing new starts.
   */
  #freeSlots(): number {
    return Math.min(this.#o.concurrency - this.#attempting, 4 * this.#o.concurrency - this.#inFlight.size)
  }

  #start(delivery: ClaimedDelivery): void {
    const subscriber = this.#o.registry.get(delivery.subscriberId)
    const abort = new AbortController()
    const id = delivery.subscriberId
    this.#perSubscriber.set(id, (this.#perSubscriber.get(id) ?? 0) + 1)
    this.#attempting++
    let holdsSlot = true
    const freeSlot = () => {
      if (!holdsSlot) return
      holdsSlot = false
      this.#attempting--
      this.#perSubscriber.set(id, (this.#perSubscriber.get(id) ?? 1) - 1)
      this.#kick()
    }
    const done = this.#attempt(delivery, subscriber, abort, freeSlot).finally(() => {
      this.#inFlight.delete(delivery.id)
      freeSlot()
      // The last of a batch of results recorded: claims bounded by #freeSlots may go on.
      this.#kick()
    })
    this.#inFlight.set(delivery.id, { subscriberId: id, abort, done })
  }

  async #attempt(
    delivery: ClaimedDelivery,
    subscriber: CompiledSubscriber | undefined,
    abort: AbortController,
    freeSlot: () => void,
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
    const span = startAttemptSpan(subscriber, delivery)
    let report: AttemptReport
    if (delivery.attempts > subscriber.retry.maxAttempts) {
      // Lost leases used the attempts up (each crash while running counts): do not run it again.
      report = {
        outcome: 'permanent',
        error: new Error('attempts used up by lost leases (crashes while running)'),
      }
    } else {
      report = await span.run(() => runWithTimeout(subscriber, delivery, abort, log, now, span))
    }
    freeSlot()
    const durationMs = performance.now() - started
    const timing = { startedAt, durationMs, traceId: span.traceId }
    const result = attemptResult(delivery, subscriber.retry, report, timing, this.#o)
    // A deferral (GHL's rate limit, not a failure) is its own outcome: one more label value.
    const outcome =
      result.next.state === 'retry_scheduled' && result.next.deferred ? 'deferred' : result.next.state
    span.end(outcome, report)
    metrics.attempts.inc({ subscriber: subscriber.id, outcome })
    metrics.attemptSeconds.observe({ outcome }, durationMs / 1000)
    const applied = await this.#finisher.submit(result).catch((error: unknown) => {
      log.error({ err: error }, 'could not record the attempt; the lease will expire and it will run again')
      return false
    })
    // Only now is the delivery `retry_scheduled` in the store: a wake-up scheduled earlier could
    // fire while it is still leased, find nothing, and leave the retry to the next poll.
    if (applied && result.next.state === 'retry_scheduled') this.#wakeAt(result.next.runAt)
    // An ordered subscriber's next delivery of this entity may be due now that this one is done.
    if (applied && subscriber.ordered) this.#drained.delete(subscriber.id)
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
