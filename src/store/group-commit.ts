import { BaseError } from '../errors.js'

/**
 * Group commit: requests that arrive together are written in one transaction.
 *
 * Every `submit` joins the open batch; the batch is committed on the next turn of the event loop
 * (`setImmediate`), so under light load a request waits for no timer at all, and under heavy load
 * every request whose body finished reading in the same I/O phase shares one commit (and, with
 * DURABILITY=fsync, one fsync). While a commit is in flight (PostgreSQL), new requests collect into
 * the next batch, which starts the moment a commit slot frees up: batches grow with load, by
 * themselves. Durability is never traded: each caller's promise settles only after its commit.
 */
export interface GroupCommitOptions<T, R> {
  /** Writes the items in one transaction and returns one result per item, in order. */
  commit: (items: T[]) => Promise<R[]>
  /** Largest batch. */
  maxBatch: number
  /** Commits allowed in flight at once (1 for SQLite, whose writes are synchronous anyway). */
  concurrency: number
  /** Most items allowed to wait; past this `submit` rejects with `QueueFullError`. */
  maxQueued: number
  /**
   * When a batch fails with an error for which this returns true, each item is retried alone, so
   * one bad row cannot fail its neighbours. Errors meaning "the database is unavailable" should
   * return false: retrying would only multiply the wait.
   */
  isolate?: (error: unknown) => boolean
  onCommit?: (size: number, durationMs: number) => void
  /**
   * True while more items are on their way (requests still verifying their signature on the thread
   * pool). A batch that is not full then waits for them — at most `maxHoldMs` after its oldest item
   * arrived — instead of committing a few now and the rest a moment later. Call `poke()` when it
   * turns false without a submit (e.g. a request was rejected).
   */
  holdWhile?: () => boolean
  /** @default 2 */
  maxHoldMs?: number
}

interface Waiter<T, R> {
  item: T
  /** performance.now() when it was submitted. */
  at: number
  resolve: (result: R) => void
  reject: (error: unknown) => void
}

export class QueueFullError extends BaseError {
  override name = 'QueueFullError'
  constructor(limit: number) {
    super(`more than ${limit} events are waiting to be committed`)
  }
}

export class GroupCommit<T, R> {
  readonly #options: GroupCommitOptions<T, R>
  #queue: Waiter<T, R>[] = []
  #inFlight = 0
  #scheduled = false
  #holdTimer: NodeJS.Timeout | undefined
  #idle: (() => void)[] = []

  constructor(options: GroupCommitOptions<T, R>) {
    this.#options = options
  }

  /** Items waiting or being committed. */
  get pending(): number {
    return this.#queue.length + this.#inFlight
  }

  submit(item: T): Promise<R> {
    if (this.#queue.length >= this.#options.maxQueued)
      return Promise.reject(new QueueFullError(this.#options.maxQueued))
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, at: performance.now(), resolve, reject })
      this.#schedule()
    })
  }

  /** Resolves once everything submitted so far has been committed or failed. */
  drain(): Promise<void> {
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Re-evaluates a held batch (the hold condition may have turned false). */
  poke(): void {
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#options.concurrency || this.#queue.length === 0) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#runOrHold()
    })
  }

  #runOrHold(): void {
    const { holdWhile, maxBatch } = this.#options
    const oldest = this.#queue[0]
    if (holdWhile && oldest && this.#queue.length < maxBatch && holdWhile()) {
      const remaining = (this.#options.maxHoldMs ?? 2) - (performance.now() - oldest.at)
      if (remaining > 0) {
        this.#holdTimer ??= setTimeout(() => {
          this.#holdTimer = undefined
          this.#runOrHold()
        }, remaining)
        return
      }
    }
    clearTimeout(this.#holdTimer)
    this.#holdTimer = undefined
    void this.#run()
  }

  async #run(): Promise<void> {
    if (this.#inFlight >= this.#options.concurrency || this.#queue.length === 0) return
    const batch = this.#queue.splice(0, this.#options.maxBatch)
    this.#inFlight++
    // More waiting than one batch holds, and a free commit slot: start the next batch now.
    this.#schedule()
    const started = performance.now()
    try {
      await this.#commitBatch(batch)
      this.#options.onCommit?.(batch.length, performance.now() - started)
    } finally {
      this.#inFlight--
      if (this.#queue.length > 0) this.#schedule()
      else if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
    }
  }

  async #commitBatch(batch: Waiter<T, R>[]): Promise<void> {
    try {
      const results = await this.#options.commit(batch.map((w) => w.item))
      for (const [i, waiter] of batch.entries()) waiter.resolve(results[i]!)
    } catch (error) {
      if (batch.length > 1 && this.#options.isolate?.(error)) {
        for (const waiter of batch) await this.#commitBatch([waiter])
      } else {
        for (const waiter of batch) waiter.reject(error)
      }
    }
  }
}
