import type { GhlTokenOwner } from '../store/types.js'

/**
 * The contract between GHL API calls (`ctx.ghl`, `gw.ghl()`) and GHL's rate limits — 100 requests
 * per 10 s and 200,000 per day, per app and location or company. The API client asks `acquire`
 * before every request and tells `observe` every answer; the limiter decides, for every process on
 * the database, whether a call may go now.
 */
export interface GhlRateLimiter {
  /**
   * Takes one call for this owner. Resolves when it may be sent; rejects with
   * `GhlRateLimitedError` (its `retryAfterMs` says when to try again) when it may not go now —
   * the caller never sleeps for it.
   */
  acquire(owner: GhlTokenOwner, signal?: AbortSignal): Promise<void>
  /** What GHL answered (status and `X-RateLimit-*` headers): the limiter adapts to it. */
  observe(owner: GhlTokenOwner, status: number, headers: Record<string, string | string[] | undefined>): void
}

/** No limit: every call goes at once (until the shared limiter replaces it). */
export const unlimited: GhlRateLimiter = {
  acquire: async () => {},
  observe: () => {},
}
