import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkSession, mintSession, sessionKey } from './console-session.js'

const key = sessionKey('the-admin-token')
const NOW = Date.UTC(2026, 11, 3, 12)
const HOUR = 3_600_000

/** A minted value with one of its four parts replaced. */
function withPart(value: string, index: number, part: string): string {
  const parts = value.split('.')
  parts[index] = part
  return parts.join('.')
}

describe('console sessions (stateless, signed)', () => {
  it('a minted session is valid until its expiry, then expired (not invalid)', () => {
    const value = mintSession(key, NOW + HOUR)
    expect(value).toMatch(/^v1\.\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/)
    expect(checkSession(key, value, NOW)).toEqual({ valid: true, expiresAt: NOW + HOUR })
    expect(checkSession(key, value, NOW + HOUR - 1)).toEqual({ valid: true, expiresAt: NOW + HOUR })
    expect(checkSession(key, value, NOW + HOUR)).toEqual({ valid: false, reason: 'expired' })
  })

  it('two sessions minted at the same instant differ (random nonce)', () => {
    expect(mintSession(key, NOW + HOUR)).not.toBe(mintSession(key, NOW + HOUR))
  })

  it('a session signed under another ADMIN_TOKEN is invalid', () => {
    const other = mintSession(sessionKey('another-admin-token'), NOW + HOUR)
    expect(checkSession(key, other, NOW)).toEqual({ valid: false, reason: 'invalid' })
  })

  it('changing any part breaks the MAC: a forged expiry is invalid, never merely expired', () => {
    const value = mintSession(key, NOW + HOUR)
    const [, expires, nonce, mac] = value.split('.') as [string, string, string, string]
    const flip = (text: string) => (text[0] === 'A' ? 'B' : 'A') + text.slice(1)
    for (const forged of [
      withPart(value, 1, String(Number(expires) + 365 * 24 * HOUR)),
      withPart(value, 1, String(NOW - HOUR)),
      withPart(value, 2, flip(nonce)),
      withPart(value, 3, flip(mac)),
      withPart(value, 0, 'v2'),
    ])
      expect(checkSession(key, forged, NOW), forged).toEqual({ valid: false, reason: 'invalid' })
  })

  it('garbage of any shape is invalid, without throwing', () => {
    const value = mintSession(key, NOW + HOUR)
    for (const garbage of [
      '',
      'v1',
      'v1...',
      `${value}.extra`,
      value.slice(0, -1),
      `${value}x`,
      'v1.12e3.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      `v1.${'9'.repeat(16)}.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
      'x'.repeat(10_000),
      'v1.1.é.é',
    ])
      expect(checkSession(key, garbage, NOW), garbage).toEqual({ valid: false, reason: 'invalid' })
  })

  it('the key is derived from the token (HKDF with a label), not the token itself', () => {
    expect(key).toHaveLength(32)
    expect(key.equals(sessionKey('the-admin-token'))).toBe(true)
    expect(key.equals(sessionKey('the-admin-token2'))).toBe(false)
    // A MAC keyed by the raw token (what a careless implementation would do) does not verify.
    const signed = `v1.${NOW + HOUR}.AAAAAAAAAAAAAAAAAAAAAA`
    const rawKeyed = createHmac('sha256', 'the-admin-token').update(signed).digest('base64url')
    expect(checkSession(key, `${signed}.${rawKeyed}`, NOW).valid).toBe(false)
  })
})
