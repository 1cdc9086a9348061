import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from './duration.js'

describe('parseDuration', () => {
  it('reads units and bare milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('24h')).toBe(86_400_000)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('1500')).toBe(1500)
    expect(parseDuration('soon')).toBeUndefined()
    expect(parseDuration('-1s')).toBeUndefined()
  })

  it('round-trips through formatDuration', () => {
    for (const ms of [1, 1000, 60_000, 3_600_000, 86_400_000, 90_000])
      expect(parseDuration(formatDuration(ms))).toBe(ms)
  })
})
