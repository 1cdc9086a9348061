/**
 * A destination's rate limit shared by every gateway process on one PostgreSQL: tokens come from
 * the `rate_buckets` row (`Store.takeRateTokens`), a few at a time, into a local allowance the
 * worker reads synchronously when it computes its slots. Every request spends a token the
 * database granted, so across all processes a destination never sees more than
 * `burst + perSecond × t` requests in any span `t`; a process may hold up to one chunk it has not
 * spent yet, which only delays, never exceeds, the rate.
 */
export class SharedTokenBucket {
  readonly perSecond: number
  readonly burst: number
  readonly #take: (want: number) => Promise<number>
  readonly #onTokens: () => void
  readonly #chunk: number
  #allowance = 0
  #fetching = false

  constructor(options: {
    perSecond: number
    burst: number | undefined
    /** Takes up to `want` tokens from the shared bucket. */
    take: (want: number) => Promise<number>
    /** Tokens arrived: wake the worker. */
    onTokens: () => void
  }) {
    if (!(options.perSecond > 0)) throw new RangeError('perSecond must be positive')
    this.perSecond = options.perSecond
    this.burst = options.burst ?? Math.max(1, Math.ceil(options.perSecond / 10))
    this.#take = options.take
    this.#onTokens = options.onTokens
    // About 50 ms worth per round trip: few round trips, and little hoarded by one process.
    this.#chunk = Math.max(1, Math.min(this.burst, Math.ceil(this.perSecond / 20)))
  }

  /** Whole tokens this process holds now; asks the store for more when it holds none. */
  available(_now: number): number {
    if (this.#allowance < 1) this.#refill()
    return Math.floor(this.#allowance)
  }

  take(_now: number): void {
    this.#allowance -= 1
  }

  /** When to ask again if the store had nothing: about one token's time. */
  msUntilNext(_now: number): number {
    return this.#allowance >= 1 ? 0 : Math.ceil(1000 / this.perSecond)
  }

  #refill(): void {
    if (this.#fetching) return
    this.#fetching = true
    this.#take(this.#chunk).then(
      (granted) => {
        this.#fetching = false
        this.#allowance += granted
        if (granted > 0) this.#onTokens()
      },
      () => {
        // The database is unreachable: no tokens, and the next available() asks again.
        this.#fetching = false
      },
    )
  }
}
