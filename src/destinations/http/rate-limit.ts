/**
 * A token bucket: `perSecond` tokens a second, at most `burst` saved up. The worker asks how many
 * deliveries may start now (`available`) when it computes its claim slots, and a delivery takes a
 * token when it starts, so a destination never sees more than `burst + perSecond × t` requests in
 * any span `t` (per process). Time comes from the caller, so tests can move it.
 *
 * The default burst is a tenth of a second's worth (at least 1): the limit is a steady rate, not a
 * second's worth of requests at once after every idle spell.
 */
export class TokenBucket {
  readonly perSecond: number
  readonly burst: number
  #tokens: number
  #at: number

  constructor(perSecond: number, burst: number | undefined, now: number) {
    if (!(perSecond > 0)) throw new RangeError('perSecond must be positive')
    this.perSecond = perSecond
    this.burst = burst ?? Math.max(1, Math.ceil(perSecond / 10))
    this.#tokens = this.burst
    this.#at = now
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.perSecond)
      this.#at = now
    }
  }

  /** Whole tokens available now. */
  available(now: number): number {
    this.#refill(now)
    // The epsilon absorbs floating-point dust from many small refills (0.1 + 0.1 + … < 1).
    return Math.floor(this.#tokens + 1e-9)
  }

  /** Takes one token (the caller checked `available`; a debt is repaid before the next start). */
  take(now: number): void {
    this.#refill(now)
    this.#tokens -= 1
  }

  /** Milliseconds until the next whole token. */
  msUntilNext(now: number): number {
    this.#refill(now)
    if (this.#tokens + 1e-9 >= 1) return 0
    return Math.ceil(((1 - this.#tokens) / this.perSecond) * 1000)
  }
}
