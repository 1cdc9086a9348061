/**
 * Failed console logins, limited per process by a token bucket: `burst` wrong tokens at once, then
 * one more every `refillMs`. An empty bucket refuses every login (429 `rate_limited`) before the
 * token is compared — refusing only wrong tokens would still tell a guesser which one was right.
 *
 * One bucket for all clients, not one per address: addresses are cheap to change, and a map of
 * them would grow with the attack. The cost is that someone guessing also keeps the real admin
 * from logging in to the console while they guess; the bearer token (the API, the CLI) is not
 * limited. A long random ADMIN_TOKEN is the defence; this only caps how fast it can be guessed.
 */

export interface LoginLimiterOptions {
  /** Wrong tokens accepted at once before the limit applies. @default 10 */
  burst?: number
  /** One more attempt after this long. @default 6000 (10 a minute) */
  refillMs?: number
  /** @default Date.now */
  now?: () => number
}

export class LoginLimiter {
  private readonly burst: number
  private readonly refillMs: number
  private readonly now: () => number
  private tokens: number
  private updatedAt: number

  constructor(options: LoginLimiterOptions = {}) {
    this.burst = options.burst ?? 10
    this.refillMs = options.refillMs ?? 6000
    this.now = options.now ?? Date.now
    this.tokens = this.burst
    this.updatedAt = this.now()
  }

  /** Seconds until a login may be tried, or 0 when it may be tried now. */
  waitSeconds(): number {
    this.refill()
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * this.refillMs) / 1000)
  }

  /** A login was tried with a wrong token. */
  failed(): void {
    this.refill()
    this.tokens = Math.max(0, this.tokens - 1)
  }

  private refill(): void {
    // A clock that went backwards adds nothing, and gives nothing twice once it goes forward again.
    const at = Math.max(this.now(), this.updatedAt)
    this.tokens = Math.min(this.burst, this.tokens + (at - this.updatedAt) / this.refillMs)
    this.updatedAt = at
  }
}
