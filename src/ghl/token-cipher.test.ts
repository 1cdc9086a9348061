import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { GhlTokenOwner } from '../store/types.js'
import { GhlTokenDecryptError } from './errors.js'
import { decryptToken, encryptToken } from './token-cipher.js'
import { parseTokenKeys, type TokenKeyRing } from './token-keys.js'

const ring = (...keys: Buffer[]): TokenKeyRing => {
  const parsed = parseTokenKeys(keys.map((key) => key.toString('base64')).join(','))
  if ('problem' in parsed) throw new Error(parsed.problem)
  return parsed
}
const KEY = randomBytes(32)
const OLD = randomBytes(32)
const LOC: GhlTokenOwner = { appId: 'app_1', userType: 'Location', ownerId: 'loc_1' }
const TOKEN = `eyJhbGciOi.${randomBytes(300).toString('base64url')}`

describe('tokens at rest (AES-256-GCM, bound to their row)', () => {
  it('round-trips, and the ciphertext holds no trace of the token', () => {
    const keys = ring(KEY)
    const sealed = encryptToken(TOKEN, LOC, 'access', keys.current)
    expect(decryptToken(sealed, LOC, 'access', keys.current.id, keys)).toBe(TOKEN)
    expect(sealed.includes(Buffer.from(TOKEN.slice(0, 16)))).toBe(false)
    // A fresh nonce each time: the same token never gives the same bytes.
    expect(encryptToken(TOKEN, LOC, 'access', keys.current).equals(sealed)).toBe(false)
  })

  it.each<[string, GhlTokenOwner, 'access' | 'refresh']>([
    ['another location', { ...LOC, ownerId: 'loc_2' }, 'access'],
    ['a company of the same id', { ...LOC, userType: 'Company' }, 'access'],
    ['another app', { ...LOC, appId: 'app_2' }, 'access'],
    ['the refresh token of the same row', LOC, 'refresh'],
  ])('a ciphertext moved to %s does not decrypt', (_where, owner, kind) => {
    const keys = ring(KEY)
    const sealed = encryptToken(TOKEN, LOC, 'access', keys.current)
    expect(() => decryptToken(sealed, owner, kind, keys.current.id, keys)).toThrow(GhlTokenDecryptError)
    expect(() => decryptToken(sealed, owner, kind, keys.current.id, keys)).toThrow(
      /does not decrypt with key_[0-9a-f]{12}: it was altered, or copied from another row/,
    )
  })

  it('an altered byte does not decrypt', () => {
    const keys = ring(KEY)
    const sealed = encryptToken(TOKEN, LOC, 'refresh', keys.current)
    sealed[20]! ^= 1
    expect(() => decryptToken(sealed, LOC, 'refresh', keys.current.id, keys)).toThrow(GhlTokenDecryptError)
  })

  it('rotation: the new key encrypts, the old one still decrypts what it wrote', () => {
    const before = ring(OLD)
    const sealed = encryptToken(TOKEN, LOC, 'access', before.current)
    const after = ring(KEY, OLD)
    expect(after.current.id).not.toBe(before.current.id)
    expect(decryptToken(sealed, LOC, 'access', before.current.id, after)).toBe(TOKEN)
    const resealed = encryptToken(TOKEN, LOC, 'access', after.current)
    expect(decryptToken(resealed, LOC, 'access', after.current.id, ring(KEY))).toBe(TOKEN)
  })

  it('a key no longer configured is named, with what to do', () => {
    const old = ring(OLD)
    const sealed = encryptToken(TOKEN, LOC, 'access', old.current)
    expect(() => decryptToken(sealed, LOC, 'access', old.current.id, ring(KEY))).toThrow(
      `the stored access token of location loc_1 was encrypted with ${old.current.id}, which GHL_TOKEN_KEY does not hold`,
    )
  })

  it('the same key text under another id does not decrypt (the id is part of the associated data)', () => {
    const keys = ring(KEY)
    const sealed = encryptToken(TOKEN, LOC, 'access', keys.current)
    const renamed: TokenKeyRing = {
      current: { id: 'key_000000000000', key: keys.current.key },
      byId: new Map([['key_000000000000', { id: 'key_000000000000', key: keys.current.key }]]),
    }
    expect(() => decryptToken(sealed, LOC, 'access', 'key_000000000000', renamed)).toThrow(
      GhlTokenDecryptError,
    )
  })
})
