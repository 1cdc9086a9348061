import { describe, expect, it } from 'vitest'
import { newId } from '../ids.js'
import { errorFingerprint } from './error-fingerprint.js'

describe('errorFingerprint', () => {
  it('groups messages that differ only in numbers, ids and quoted values', () => {
    expect(errorFingerprint('timeout after 5003 ms')).toBe(errorFingerprint('timeout after 5010 ms'))
    expect(errorFingerprint(`no contact ${newId('evt')}`)).toBe(
      errorFingerprint(`no contact ${newId('evt')}`),
    )
    expect(errorFingerprint('contact "Ada" refused: id 9f1c2d3e-1111-2222-3333-444455556666')).toBe(
      errorFingerprint('contact "Bob" refused: id 00000000-aaaa-bbbb-cccc-ddddeeeeffff'),
    )
    expect(errorFingerprint('location ve9EPM428h8vShlRW1KT missing')).toBe(
      errorFingerprint('location Q2yLk8Jm3x7Pz0Aa9bCd missing'),
    )
  })

  it('keeps different failures apart and the words readable', () => {
    expect(errorFingerprint('HTTP 500 Internal Server Error after 31 ms')).toBe(
      'HTTP 500 Internal Server Error after # ms',
    )
    expect(errorFingerprint('HTTP 500')).not.toBe(errorFingerprint('HTTP 502'))
    expect(errorFingerprint('the service answered 422 after 3 tries')).toBe(
      'the service answered 422 after # tries',
    )
    expect(errorFingerprint('status 12345')).toBe('status #')
    expect(errorFingerprint('timeout after 5003 ms')).not.toBe(errorFingerprint('refused after 5003 ms'))
  })

  it('is bounded', () => {
    expect(errorFingerprint('x'.repeat(10_000)).length).toBeLessThanOrEqual(200)
  })
})
