/**
 * The windows the console's charts offer (GET /api/stats/series?window=…), each cut into the same
 * number of buckets. Imports nothing, so the console takes the list from here (ui/src/pages/overview.tsx).
 */
export const STATS_WINDOWS = ['1h', '6h', '24h', '7d'] as const
export type StatsWindow = (typeof STATS_WINDOWS)[number]

const HOUR_MS = 3_600_000
export const STATS_WINDOW_MS: Readonly<Record<StatsWindow, number>> = {
  '1h': HOUR_MS,
  '6h': 6 * HOUR_MS,
  '24h': 24 * HOUR_MS,
  '7d': 7 * 24 * HOUR_MS,
}

/** Buckets per window: a minute each over an hour, 2.8 hours each over a week. */
export const STATS_BUCKETS = 60

/**
 * The buckets of `window` ending with the one that holds `now`. Bucket edges are multiples of the
 * bucket width since the epoch, so a refresh a few seconds later shows the same buckets (the
 * charts do not shift under the reader) and only the last one grows.
 */
export function statsRange(
  window: StatsWindow,
  now: number,
): { start: number; bucketMs: number; buckets: number } {
  const bucketMs = STATS_WINDOW_MS[window] / STATS_BUCKETS
  const end = (Math.floor(now / bucketMs) + 1) * bucketMs
  return { start: end - STATS_BUCKETS * bucketMs, bucketMs, buckets: STATS_BUCKETS }
}
