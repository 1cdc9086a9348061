import { describe, expect, it } from 'vitest'
import { safeEqual } from './constant-time.js'
import { decodeBase64Strict, decodeHexStrict } from './encoding.js'
import { fingerprint } from './fingerprint.js'

describe('safeEqual', () => {
  it('compares equal and unequal values of the same length', () => {
    expect(safeEqual('secret', 'secret')).toBe(true)
    expect(safeEqual(Buffer.from('secret'), 'secret')).toBe(true)
    expect(safeEqual('secret', 'secreT')).toBe(false)
  })

  it('returns false, without throwing, when the lengths differ', () => {
    expect(safeEqual('secret', 'secret-and-more')).toBe(false)
    expect(safeEqual(Buffer.alloc(32), Buffer.alloc(31))).toBe(false)
    expect(safeEqual('', 'x')).toBe(false)
    expect(safeEqual('', '')).toBe(true)
  })
})

describe('strict decoders', () => {
  it('reject text that Buffer.from would silently half-decode', () => {
    expect(decodeBase64Strict('aGVsbG8=')?.toString()).toBe('hello')
    expect(decodeBase64Strict('aGVsbG8')?.toString()).toBe('hello')
    for (const bad of ['', 'aGVsbG8=x', 'aGVs bG8=', 'aGVsbG8-', 'aGVsbG9=', 'a', '====']) {
      expect(decodeBase64Strict(bad), bad).toBeUndefined()
    }
    expect(decodeHexStrict('00Ff')).toEqual(Buffer.from([0, 255]))
    for (const bad of ['', '0', '00fg', '00 ff', '0x00']) expect(decodeHexStrict(bad), bad).toBeUndefined()
  })
})

describe('fingerprint', () => {
  it('is a short sha256 prefix that hides the value', () => {
    const value = 'Bearer tok_live_0123456789'
    expect(fingerprint(value)).toMatch(/^sha256:[0-9a-f]{16}$/)
    expect(fingerprint(value)).toBe(fingerprint(value))
    expect(fingerprint(value)).not.toBe(fingerprint(`${value}x`))
    // sha256('abc'), a published test vector.
    expect(fingerprint('abc')).toBe('sha256:ba7816bf8f01cfea')
  })
})
