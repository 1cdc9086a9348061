import { describe, expect, it } from 'vitest'
import {
  clearedSessionCookie,
  SESSION_COOKIE,
  sessionCookieValues,
  sessionSetCookie,
} from './session-cookie.js'

describe('reading the session cookie from a Cookie header', () => {
  it('finds it among other cookies, with or without spaces, quoted or not', () => {
    expect(sessionCookieValues(`${SESSION_COOKIE}=v1.abc`)).toEqual(['v1.abc'])
    expect(sessionCookieValues(`theme=dark; ${SESSION_COOKIE}=v1.abc; lang=en`)).toEqual(['v1.abc'])
    expect(sessionCookieValues(`theme=dark;${SESSION_COOKIE}=v1.abc;lang=en`)).toEqual(['v1.abc'])
    expect(sessionCookieValues(`  ${SESSION_COOKIE} = v1.abc  `)).toEqual(['v1.abc'])
    expect(sessionCookieValues(`${SESSION_COOKIE}="v1.abc"`)).toEqual(['v1.abc'])
    // A value may itself hold `=` (only the first one splits name from value).
    expect(sessionCookieValues(`${SESSION_COOKIE}=a=b`)).toEqual(['a=b'])
  })

  it('returns every cookie of that name (a tossed one cannot hide the real one), at most four', () => {
    expect(sessionCookieValues(`${SESSION_COOKIE}=tossed; ${SESSION_COOKIE}=real`)).toEqual([
      'tossed',
      'real',
    ])
    expect(sessionCookieValues([`${SESSION_COOKIE}=a`, `x=1; ${SESSION_COOKIE}=b`])).toEqual(['a', 'b'])
    const many = Array.from({ length: 10 }, (_, i) => `${SESSION_COOKIE}=${i}`).join('; ')
    expect(sessionCookieValues(many)).toEqual(['0', '1', '2', '3'])
  })

  it('ignores other names, including ones that merely contain it, and pairs without =', () => {
    expect(sessionCookieValues(undefined)).toEqual([])
    expect(sessionCookieValues('')).toEqual([])
    expect(sessionCookieValues(`x${SESSION_COOKIE}=1; ${SESSION_COOKIE}x=2; ${SESSION_COOKIE}`)).toEqual([])
    expect(sessionCookieValues(`${SESSION_COOKIE.toUpperCase()}=1`)).toEqual([])
  })
})

describe('Set-Cookie for the session', () => {
  it('is HttpOnly, SameSite=Strict, on every path, expiring; Secure only over TLS', () => {
    expect(sessionSetCookie('v1.abc', { maxAgeSeconds: 43_200, secure: false })).toBe(
      `${SESSION_COOKIE}=v1.abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200`,
    )
    expect(sessionSetCookie('v1.abc', { maxAgeSeconds: 60.9, secure: true })).toBe(
      `${SESSION_COOKIE}=v1.abc; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure`,
    )
  })

  it('clearing it sends the same attributes, an empty value and Max-Age=0', () => {
    expect(clearedSessionCookie(true)).toBe(
      `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure`,
    )
  })
})
