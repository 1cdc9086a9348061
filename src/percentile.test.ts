import { describe, expect, it } from 'vitest'
import { nearestRank } from './percentile.js'

describe('nearestRank', () => {
  it('is the smallest value with at least p of the values at or below it', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1)
    expect(nearestRank(values, 0.5)).toBe(10)
    expect(nearestRank(values, 0.95)).toBe(19)
    expect(nearestRank(values, 1)).toBe(20)
    expect(nearestRank([7], 0.95)).toBe(7)
    expect(nearestRank([], 0.5)).toBeNull()
  })
})
