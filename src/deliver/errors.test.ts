import { describe, expect, it } from 'vitest'
import { RetryableError } from './errors.js'

describe('RetryableError', () => {
  it('takes retryAfter as a duration like every other option, or as milliseconds', () => {
    expect(new RetryableError('x', { retryAfter: '2s' }).retryAfterMs).toBe(2000)
    expect(new RetryableError('x', { retryAfter: '5m' }).retryAfterMs).toBe(300_000)
    expect(new RetryableError('x', { retryAfter: 1500 }).retryAfterMs).toBe(1500)
    expect(new RetryableError('x', { retryAfterMs: 90_000 }).retryAfterMs).toBe(90_000)
    expect(new RetryableError('x', { retryAfter: '1s', retryAfterMs: 5 }).retryAfterMs).toBe(1000)
    expect(new RetryableError('x').retryAfterMs).toBeUndefined()
  })

  it('refuses what is not a duration with a sentence saying what it takes', () => {
    for (const bad of ['soon', '-1s', Number.NaN, -5])
      expect(() => new RetryableError('x', { retryAfter: bad })).toThrow(
        /RetryableError: retryAfter must be a duration such as '30s' or '5m', or milliseconds \(got /,
      )
  })
})
