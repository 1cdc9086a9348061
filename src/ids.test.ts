import { describe, expect, it } from 'vitest'
import { idTime, newId, ulid } from './ids.js'

describe('newId', () => {
  it('makes prefixed ULIDs that carry their time', () => {
    const id = newId('evt', 1_732_000_000_000)
    expect(id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/)
    expect(idTime(id)).toBe(1_732_000_000_000)
  })

  it('is strictly increasing within one millisecond and across time', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => ulid(1_732_000_000_000 + Math.floor(i / 1000)))
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
  })

  it('never goes backwards when the clock does', () => {
    const later = ulid(2_000_000_000_000)
    const earlier = ulid(1_000_000_000_000)
    expect(earlier > later).toBe(true)
  })
})
