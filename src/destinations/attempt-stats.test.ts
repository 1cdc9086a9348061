import { describe, expect, it } from 'vitest'
import type { RecentAttempt } from '../store/types.js'
import { attemptStats } from './attempt-stats.js'

const attempt = (durationMs: number, outcome: RecentAttempt['outcome'], startedAt = 1000): RecentAttempt => ({
  id: 'att',
  deliveryId: 'dlv',
  eventId: 'evt',
  number: 1,
  cycle: 0,
  startedAt,
  durationMs,
  outcome,
  status: null,
  errorClass: null,
  errorMessage: null,
})

describe('attemptStats', () => {
  it('gives the success share and nearest-rank p50/p95, leaving lost leases out', () => {
    const recent = Array.from({ length: 20 }, (_, i) =>
      attempt(i + 1, i < 15 ? 'succeeded' : 'retry', 1000 + i),
    )
    recent.push(attempt(60_000, 'lease_lost', 10))
    expect(attemptStats(recent)).toEqual({
      attempts: 20,
      successRate: 0.75,
      p50Ms: 10,
      p95Ms: 19,
      since: 1000,
    })
  })

  it('says nothing without attempts', () => {
    expect(attemptStats([attempt(5, 'lease_lost')])).toEqual({
      attempts: 0,
      successRate: null,
      p50Ms: null,
      p95Ms: null,
      since: null,
    })
  })
})
