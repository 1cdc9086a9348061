/**
 * The `p`-th percentile (0 < p ≤ 1) of values sorted ascending, by nearest rank: the smallest value
 * with at least p of the values at or below it. Null when there are none. One rule for every
 * percentile the gateway reports (the health summary, a destination's latency).
 */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
}
