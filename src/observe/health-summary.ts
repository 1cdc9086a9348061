import { nearestRank } from '../percentile.js'
import type { ProcessingStats } from '../store/types.js'

/**
 * The health summary (GET /health): what an operator looks at first. Status rules, in order:
 * - unhealthy: the success rate of the last hour's attempts is below 50 % (with at least 20
 *   attempts), or a due delivery has waited more than 15 minutes (workers stuck or absent);
 * - degraded: the success rate is below 95 % (at least 20 attempts), a due delivery has waited
 *   more than 60 seconds, or a delivery went to the dead-letter queue in the last hour;
 * - healthy otherwise.
 */
export const HEALTH_THRESHOLDS = {
  minAttemptsForRate: 20,
  degradedSuccessRate: 0.95,
  unhealthySuccessRate: 0.5,
  degradedWaitSeconds: 60,
  unhealthyWaitSeconds: 900,
} as const

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy'

export interface HealthSummary {
  status: HealthStatus
  reasons: string[]
  eventsLastHour: number
  attemptsLastHour: number
  /** Succeeded attempts / all attempts in the last hour; null without attempts. */
  successRate: number | null
  avgProcessingMs: number | null
  p95ProcessingMs: number | null
  queueDepth: number
  oldestPendingSeconds: number
  deadCount: number
  deadLastHour: number
}

export function healthSummary(stats: ProcessingStats, now: number, t = HEALTH_THRESHOLDS): HealthSummary {
  const successRate = stats.attemptsLastHour === 0 ? null : stats.succeededLastHour / stats.attemptsLastHour
  const durations = [...stats.recentDurationsMs].sort((a, b) => a - b)
  const avg = durations.length ? durations.reduce((sum, d) => sum + d, 0) / durations.length : null
  const p95 = nearestRank(durations, 0.95)
  const waited = stats.oldestDueAt === null ? 0 : Math.max(0, (now - stats.oldestDueAt) / 1000)
  const rated = successRate !== null && stats.attemptsLastHour >= t.minAttemptsForRate

  const unhealthy: string[] = []
  const degraded: string[] = []
  const percent = (rate: number) => `${(rate * 100).toFixed(1)} %`
  if (rated && successRate < t.unhealthySuccessRate)
    unhealthy.push(`success rate ${percent(successRate)} in the last hour`)
  else if (rated && successRate < t.degradedSuccessRate)
    degraded.push(`success rate ${percent(successRate)} in the last hour`)
  if (waited > t.unhealthyWaitSeconds) unhealthy.push(`a due delivery has waited ${Math.round(waited)} s`)
  else if (waited > t.degradedWaitSeconds) degraded.push(`a due delivery has waited ${Math.round(waited)} s`)
  if (stats.deadLastHour > 0) degraded.push(`${stats.deadLastHour} deliveries dead-lettered in the last hour`)

  return {
    status: unhealthy.length ? 'unhealthy' : degraded.length ? 'degraded' : 'healthy',
    reasons: [...unhealthy, ...degraded],
    eventsLastHour: stats.eventsLastHour,
    attemptsLastHour: stats.attemptsLastHour,
    successRate,
    avgProcessingMs: avg === null ? null : Math.round(avg * 100) / 100,
    p95ProcessingMs: p95 === null ? null : Math.round(p95 * 100) / 100,
    queueDepth: stats.openDeliveries,
    oldestPendingSeconds: Math.round(waited * 10) / 10,
    deadCount: stats.deadDeliveries,
    deadLastHour: stats.deadLastHour,
  }
}
