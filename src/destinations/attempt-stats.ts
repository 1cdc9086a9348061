import { nearestRank } from '../percentile.js'
import type { RecentAttempt } from '../store/types.js'

/**
 * What a destination page says about its recent attempts: the share that succeeded and the
 * latency (p50, p95, nearest rank). A lost lease is the gateway's own failure (a worker stopped),
 * not the destination's answer: left out of both.
 */
export interface AttemptStats {
  attempts: number
  /** 0–1; null without attempts. */
  successRate: number | null
  p50Ms: number | null
  p95Ms: number | null
  /** When the oldest counted attempt started (ms), or null. */
  since: number | null
}

export function attemptStats(recent: readonly RecentAttempt[]): AttemptStats {
  const counted = recent.filter((a) => a.outcome !== 'lease_lost')
  if (counted.length === 0) return { attempts: 0, successRate: null, p50Ms: null, p95Ms: null, since: null }
  const durations = counted.map((a) => a.durationMs).sort((x, y) => x - y)
  return {
    attempts: counted.length,
    successRate: counted.filter((a) => a.outcome === 'succeeded').length / counted.length,
    p50Ms: nearestRank(durations, 0.5),
    p95Ms: nearestRank(durations, 0.95),
    since: Math.min(...counted.map((a) => a.startedAt)),
  }
}
