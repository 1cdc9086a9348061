import type { CircuitBreakerConfig } from '../schema.js'

/**
 * A circuit breaker per destination (per process): when a destination keeps failing, stop sending
 * to it for a while instead of spending every delivery's attempts on it. Its deliveries are not
 * touched — they keep accumulating (new events) or waiting for their retry — and run once the
 * destination answers again.
 *
 *   ┌────────┐ failures/attempts ≥ failureRate, ┌──────┐ cooldown passed ┌───────────┐
 *   │ closed │─── attempts ≥ minAttempts ──────▶│ open │────────────────▶│ half_open │
 *   └────────┘     (within the window)          └──────┘                 └───────────┘
 *       ▲                                          ▲   probe failed: cooldown ×2 │
 *       │                                          └─────(capped)────────────────┤
 *       └──────────────────── probe succeeded ───────────────────────────────────┘
 *
 * - closed: deliveries run; each attempt's result goes into a sliding window (buckets of
 *   window/60).
 * - open: no delivery starts (`available` is 0) until the cooldown has passed.
 * - half_open: exactly one delivery (the probe) may start; its result decides. Results of
 *   attempts started before the circuit opened do not count.
 * - probe now (`probeNow`: an operator's "probe now", a replay into the destination): open moves
 *   to half_open at once instead of at the end of the cooldown. A failed forced probe reopens the
 *   circuit with the cooldown it had (an operator's question does not lengthen the schedule).
 *
 * Time comes from the caller (the worker's clock), so tests move it by hand.
 */
export type CircuitState = 'closed' | 'open' | 'half_open'

/** Told every transition; `window` (the results that opened it) comes with `open`. */
export type CircuitListener = (
  state: CircuitState,
  window: { attempts: number; failures: number } | undefined,
) => void

export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 }

interface Bucket {
  start: number
  attempts: number
  failures: number
}

export interface CircuitSnapshot {
  state: CircuitState
  /** When the circuit last opened (ms), or null. */
  openedAt: number | null
  /** When a probe may run (ms), while open. */
  probeAt: number | null
  cooldownMs: number
  window: { attempts: number; failures: number }
}

export class CircuitBreaker {
  readonly #o: CircuitBreakerConfig
  readonly #bucketMs: number
  #buckets: Bucket[] = []
  #state: CircuitState = 'closed'
  #openedAt: number | null = null
  #cooldownMs: number
  #probeInFlight = false
  /** The half-open state was forced (`probeNow`): its failure does not double the cooldown. */
  #forced = false
  /** Bumped on every transition: attempts started in an earlier generation do not count. */
  #generation = 0
  readonly #onChange: CircuitListener | undefined

  constructor(options: CircuitBreakerConfig, onChange?: CircuitListener) {
    this.#o = options
    this.#bucketMs = Math.max(1000, Math.floor(options.window / 60))
    this.#cooldownMs = options.cooldown
    this.#onChange = onChange
  }

  state(now: number): CircuitState {
    if (this.#state === 'open' && this.#openedAt !== null && now >= this.#openedAt + this.#cooldownMs) {
      this.#transition('half_open')
    }
    return this.#state
  }

  /** How many deliveries may start now: unlimited, one probe, or none. */
  available(now: number): number {
    const state = this.state(now)
    switch (state) {
      case 'closed':
        return Number.POSITIVE_INFINITY
      case 'half_open':
        return this.#probeInFlight ? 0 : 1
      case 'open':
        return 0
      default: {
        const unreachable: never = state
        throw new Error(`unknown circuit state ${unreachable}`)
      }
    }
  }

  /**
   * Probe now: an open circuit becomes half-open at once, so the next due delivery is the probe.
   * Closed or already half-open: nothing to do. Returns whether the state changed.
   */
  probeNow(now: number): boolean {
    if (this.state(now) !== 'open') return false
    this.#transition('half_open')
    this.#forced = true
    return true
  }

  /** Milliseconds until a probe may run (0 unless open). */
  msUntilProbe(now: number): number {
    if (this.state(now) !== 'open' || this.#openedAt === null) return 0
    return Math.max(0, this.#openedAt + this.#cooldownMs - now)
  }

  /** A delivery starts: returns the ticket to hand back with its result. */
  onStart(now: number): { generation: number; probe: boolean } {
    const probe = this.state(now) === 'half_open'
    if (probe) this.#probeInFlight = true
    return { generation: this.#generation, probe }
  }

  /** A delivery finished (`ok`: success). */
  onResult(now: number, ticket: { generation: number; probe: boolean }, ok: boolean): void {
    if (ticket.probe) {
      if (ticket.generation !== this.#generation) return
      this.#probeInFlight = false
      if (ok) {
        this.#buckets = []
        this.#cooldownMs = this.#o.cooldown
        this.#openedAt = null
        this.#transition('closed')
      } else {
        if (!this.#forced)
          this.#cooldownMs = Math.min(this.#cooldownMs * 2, Math.max(this.#o.maxCooldown, this.#o.cooldown))
        this.#open(now, { attempts: 1, failures: 1 })
      }
      return
    }
    if (ticket.generation !== this.#generation || this.#state !== 'closed') return
    this.#record(now, ok)
    const { attempts, failures } = this.#totals(now)
    if (attempts >= this.#o.minAttempts && failures / attempts >= this.#o.failureRate - 1e-9)
      this.#open(now, { attempts, failures })
  }

  snapshot(now: number): CircuitSnapshot {
    const state = this.state(now)
    return {
      state,
      openedAt: this.#openedAt,
      probeAt: state === 'open' && this.#openedAt !== null ? this.#openedAt + this.#cooldownMs : null,
      cooldownMs: this.#cooldownMs,
      window: this.#totals(now),
    }
  }

  /** `window`: the results that opened it (the window is emptied here). */
  #open(now: number, window: { attempts: number; failures: number }): void {
    this.#openedAt = now
    this.#buckets = []
    this.#transition('open', window)
  }

  #transition(state: CircuitState, window?: { attempts: number; failures: number }): void {
    this.#state = state
    this.#generation++
    this.#probeInFlight = false
    this.#forced = false
    this.#onChange?.(state, window)
  }

  #record(now: number, ok: boolean): void {
    const start = now - (now % this.#bucketMs)
    let bucket = this.#buckets.at(-1)
    if (!bucket || bucket.start !== start) {
      bucket = { start, attempts: 0, failures: 0 }
      this.#buckets.push(bucket)
    }
    bucket.attempts++
    if (!ok) bucket.failures++
  }

  #totals(now: number): { attempts: number; failures: number } {
    const oldest = now - this.#o.window
    while (this.#buckets.length && this.#buckets[0]!.start + this.#bucketMs <= oldest) this.#buckets.shift()
    let attempts = 0
    let failures = 0
    for (const bucket of this.#buckets) {
      attempts += bucket.attempts
      failures += bucket.failures
    }
    return { attempts, failures }
  }
}
