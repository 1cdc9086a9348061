import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import { DAY_MS } from '../store/ghl-rate-window.js'
import type { GhlRateLimitStore, GhlRateLimits, GhlTokenOwner } from '../store/types.js'
import { GhlRateLimitedError } from './errors.js'
import { readRateLimitAnswer } from './rate-limit-headers.js'
import type { GhlRateLimiter } from './rate-limiter.js'

/**
 * GHL's rate limits kept in the database, so every gateway process on it draws from one window per
 * app and location or company (src/store/ghl-rate-limit-store.ts: a sliding-window log, never more
 * than `burst` calls in any `windowMs` as GHL receives them, and a daily count). Two store writes per
 * call: the grant (`acquire`), and its answer (`observe`), which moves the call's time in the log to
 * when GHL had certainly received it.
 *
 * `acquire` never sleeps long: when the next slot frees within `maxWaitMs` it waits for it (the
 * signal ends the wait) and asks again; otherwise it rejects at once with `GhlRateLimitedError`,
 * whose `retryAfterMs` is when the slot frees (the delivery is retried then, its handler never
 * sleeps for it). `observe` records a pause when GHL answers 429 or says nothing is left, so the
 * other processes stop too, and the limits GHL announces (a lower one is honoured).
 */

export interface SharedGhlRateLimiterOptions {
  store: GhlRateLimitStore
  limits: GhlRateLimits
  /** Longest wait inside `acquire` for a slot about to free. @default 1000 */
  maxWaitMs?: number
  logger?: Logger
  metrics?: Pick<Metrics, 'ghlRateLimitWaits' | 'ghlDailyPausedSource'>
  /** @default Date.now */
  now?: () => number
}

const ownerKey = (owner: GhlTokenOwner) => `${owner.appId}\u0000${owner.userType}\u0000${owner.ownerId}`

export class SharedGhlRateLimiter implements GhlRateLimiter {
  readonly #o: SharedGhlRateLimiterOptions & { maxWaitMs: number; now: () => number }
  /** What GHL last announced per owner, as last written: an unchanged announcement writes nothing. */
  readonly #announced = new Map<string, string>()
  /**
   * Per owner, the log times of this process's calls still waiting for their answer, oldest first:
   * `observe` settles the oldest (the contract gives no handle per call; calls of one owner are
   * mostly answered in the order they were granted, and any answered call settles a call granted
   * no later than itself, which never counts a call for less than it should).
   */
  readonly #inFlight = new Map<string, number[]>()
  /** Owners this process found paused on the daily limit, until their reset (the metric's gauge). */
  readonly #dailyPaused = new Map<string, number>()

  constructor(options: SharedGhlRateLimiterOptions) {
    this.#o = { maxWaitMs: 1000, now: Date.now, ...options }
    if (options.metrics) options.metrics.ghlDailyPausedSource.current = () => this.dailyPausedOwners()
  }

  async acquire(owner: GhlTokenOwner, signal?: AbortSignal): Promise<void> {
    const { store, limits, maxWaitMs, now } = this.#o
    const deadline = now() + maxWaitMs
    let waited = false
    for (;;) {
      signal?.throwIfAborted()
      const take = await store.takeGhlRateSlot(owner, limits, now())
      if (take.granted) {
        const key = ownerKey(owner)
        const flying = this.#inFlight.get(key) ?? []
        // A call that never got an answer (a network error: no observe) is dropped after a window.
        while (flying.length > 0 && flying[0]! < take.at - 2 * limits.windowMs) flying.shift()
        flying.push(take.at)
        this.#inFlight.set(key, flying)
        return
      }
      if (!waited) this.#o.metrics?.ghlRateLimitWaits.inc({ window: take.window })
      waited = true
      if (take.window === 'daily') this.#dailyPaused.set(ownerKey(owner), now() + take.retryAfterMs)
      if (now() + take.retryAfterMs > deadline) {
        throw new GhlRateLimitedError(
          `GHL's ${take.window === 'daily' ? 'daily' : '10-second'} rate limit for ${owner.userType.toLowerCase()} ${owner.ownerId} is reached; a call may go again in ${Math.ceil(take.retryAfterMs / 1000)} s`,
          take.retryAfterMs,
          take.window,
        )
      }
      // An aborted wait ends with the signal's reason (the handler's timeout), as the call would.
      await sleep(take.retryAfterMs, undefined, { signal }).catch((error: unknown) => {
        signal?.throwIfAborted()
        throw error
      })
    }
  }

  observe(
    owner: GhlTokenOwner,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    const key = ownerKey(owner)
    const flying = this.#inFlight.get(key)
    const grantedAt = flying?.shift()
    if (flying?.length === 0) this.#inFlight.delete(key)
    if (grantedAt !== undefined) {
      this.#o.store.settleGhlRateCall(owner, grantedAt, this.#o.now()).catch((error: unknown) => {
        // The call then counts from its grant only: GHL's 429, if it comes, is observed.
        this.#o.logger?.warn(
          { err: error, owner: owner.ownerId },
          'could not record when a GHL call was answered',
        )
      })
    }
    const answer = readRateLimitAnswer(status, headers, this.#o.limits.windowMs)
    if (!answer) return
    const announced = answer.announced && JSON.stringify(answer.announced)
    if (!answer.pause && announced === this.#announced.get(key)) return
    if (announced) this.#announced.set(key, announced)
    if (answer.pause?.window === 'daily')
      this.#dailyPaused.set(key, (Math.floor(this.#o.now() / DAY_MS) + 1) * DAY_MS)
    this.#o.store.noteGhlRateAnswer(owner, answer, this.#o.now()).catch((error: unknown) => {
      // Losing a note costs at most a 429 from GHL, which is observed again.
      this.#announced.delete(key)
      this.#o.logger?.warn({ err: error, owner: owner.ownerId }, 'could not record a GHL rate-limit answer')
    })
  }

  /** Owners this process found paused on the daily limit whose reset has not come yet. */
  dailyPausedOwners(): number {
    const now = this.#o.now()
    for (const [key, until] of this.#dailyPaused) if (until <= now) this.#dailyPaused.delete(key)
    return this.#dailyPaused.size
  }
}
