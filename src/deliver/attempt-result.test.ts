import { describe, expect, it } from 'vitest'
import { MAX_DEFERRAL_AGE_MS, retryPolicy } from '../dispatch/retry-policy.js'
import type { ClaimedDelivery } from '../store/types.js'
import { attemptResult } from './attempt-result.js'
import { RetryableError } from './errors.js'

/**
 * What the worker records after an attempt: a deferral (GHL's rate limit) is scheduled at its delay
 * whatever the attempts and `maxAge`, until the deferral bound; any other retry as before.
 */

const T = 1_700_000_000_000
const DAY = 86_400_000
const policy = retryPolicy({ minDelay: 50, maxDelay: 100, maxAttempts: 3, maxAge: '1s' })

function claimed(attempts: number, cycleStartedAt: number): ClaimedDelivery {
  return { id: 'dlv_1', attempts, cycle: 0, cycleStartedAt } as unknown as ClaimedDelivery
}

const wait = new RetryableError('GhlRateLimitedError: daily limit (deferred)', { retryAfterMs: DAY / 2 })
const timing = { startedAt: T, durationMs: 1 }
const at = (now: number) => ({ id: 'w', now: () => now, random: () => 0.5 })

describe('attemptResult', () => {
  it('a deferral is scheduled at its delay and marked deferred, past maxAttempts and maxAge', () => {
    const result = attemptResult(
      claimed(3, T - 10 * 60_000),
      policy,
      { outcome: 'retry', error: wait, retryAfterMs: DAY / 2, deferred: true },
      timing,
      at(T),
    )
    expect(result.next).toEqual({
      state: 'retry_scheduled',
      runAt: T + DAY / 2,
      error: 'RetryableError: GhlRateLimitedError: daily limit (deferred)',
      deferred: true,
    })
    expect(result.attempt.number).toBe(3)
  })

  it('a deferral past max(maxAge, 8 days) since the cycle started is dead, saying why', () => {
    const startedAt = T - MAX_DEFERRAL_AGE_MS + DAY / 4
    const result = attemptResult(
      claimed(1, startedAt),
      policy,
      { outcome: 'retry', error: wait, retryAfterMs: DAY / 2, deferred: true },
      timing,
      at(T),
    )
    expect(result.next.state).toBe('dead')
    expect(result.next).toMatchObject({
      error: expect.stringMatching(/still deferred by GHL's rate limit 8 days after the cycle started/),
    })
    // A longer maxAge is the bound instead.
    const patient = retryPolicy({ maxAge: '10d' })
    expect(
      attemptResult(
        claimed(1, startedAt),
        patient,
        { outcome: 'retry', error: wait, retryAfterMs: DAY / 2, deferred: true },
        timing,
        at(T),
      ).next,
    ).toMatchObject({ state: 'retry_scheduled', deferred: true })
  })

  it('an ordinary retry still counts: dead after maxAttempts, or past maxAge, and never marked deferred', () => {
    const failure = { outcome: 'retry', error: new Error('HTTP 503') } as const
    expect(attemptResult(claimed(2, T), policy, failure, timing, at(T)).next).toEqual({
      state: 'retry_scheduled',
      runAt: T + 75,
      error: 'Error: HTTP 503',
    })
    expect(attemptResult(claimed(3, T), policy, failure, timing, at(T)).next).toMatchObject({
      state: 'dead',
      error: expect.stringMatching(/gave up after 3 attempts/),
    })
    const rateLimitedButNotDeferred = { ...failure, retryAfterMs: DAY / 2 }
    expect(attemptResult(claimed(1, T), policy, rateLimitedButNotDeferred, timing, at(T)).next).toMatchObject(
      { state: 'dead', error: expect.stringMatching(/retry\.maxAge/) },
    )
  })
})
