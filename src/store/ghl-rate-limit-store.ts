import type { GhlTokenOwner } from './ghl-token-store.js'

/**
 * GHL's rate limits, counted in the database so every gateway process on it shares them (table
 * `ghl_rate_windows`, one row per app and location or company). The row holds a sliding-window
 * log — the times of the calls granted within the last window, at most `burst` of them — the day's
 * count, a pause GHL asked for (a 429, or `X-RateLimit-Remaining: 0`), and the limits GHL's headers
 * announced. Every change is a read-modify-write of that one row under the database's lock (SQLite's
 * write lock, a PostgreSQL row lock), decided by `ghl-rate-window.ts`; so of any number of processes
 * asking at once, no more than `burst` ever get a slot within any `windowMs`.
 */

export type GhlRateWindowName = 'burst' | 'daily'

/** The limits to keep (the settings; lower limits GHL announced are applied on top). */
export interface GhlRateLimits {
  /** Calls in any `windowMs`. */
  burst: number
  windowMs: number
  /** Calls per day (UTC). */
  daily: number
}

/** A slot, or when to ask again and which limit said no. */
export type GhlRateTake =
  /** `at`: the call's time in the log (the store's clock), which `settleGhlRateCall` moves to its answer. */
  { granted: true; at: number } | { granted: false; window: GhlRateWindowName; retryAfterMs: number }

/** What an answer from GHL told us, as the limiter keeps it. */
export interface GhlRateAnswer {
  /**
   * Stop handing out slots: `burst` for `forMs` (GHL's interval), `daily` until the next UTC
   * midnight.
   */
  pause?: { window: 'burst'; forMs: number } | { window: 'daily' }
  /** Limits GHL announced for this app and owner (`X-RateLimit-Max`, `…-Interval-Milliseconds`, `…-Limit-Daily`). */
  announced?: { burst?: number; windowMs?: number; daily?: number }
}

export interface GhlRateLimitStore {
  /**
   * Takes one call for this owner if `limits` (and what GHL said) allow it now. `now` is the caller's
   * clock on SQLite (its processes share a host); PostgreSQL uses its own, which processes on
   * several hosts share.
   */
  takeGhlRateSlot(owner: GhlTokenOwner, limits: GhlRateLimits, now: number): Promise<GhlRateTake>
  /**
   * The call granted at `grantedAt` was answered now: its time in the log moves to now, so it counts
   * for a whole window after GHL can last have received it (see ghl-rate-window.ts, `settleCall`).
   */
  settleGhlRateCall(owner: GhlTokenOwner, grantedAt: number, now: number): Promise<void>
  /** Records what GHL answered: a pause every process then honours, the limits it announced. */
  noteGhlRateAnswer(owner: GhlTokenOwner, answer: GhlRateAnswer, now: number): Promise<void>
}
