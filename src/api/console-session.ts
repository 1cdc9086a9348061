import { createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { safeEqual } from '../verify/index.js'

/**
 * The console's login session, as the value of its cookie: `v1.<expiresAt ms>.<nonce>.<mac>`,
 * where the MAC is HMAC-SHA256 over `v1.<expiresAt>.<nonce>` under a key derived from
 * ADMIN_TOKEN. Nothing is stored: every process that has the same ADMIN_TOKEN (all replicas on
 * one PostgreSQL) accepts the session, and changing ADMIN_TOKEN ends every session at once. The
 * price of statelessness: logging out removes the cookie from the browser, but a copy of its
 * value stays valid until it expires — rotate ADMIN_TOKEN to end it sooner.
 */

const VERSION = 'v1'

/**
 * HKDF's `info`: the key signs console sessions and nothing else, so a MAC made under it can never
 * stand for anything else derived from the token, and the token itself never keys a MAC.
 */
const KEY_LABEL = 'ghl-gateway console session v1'

/** 16 random bytes: two sessions minted in the same millisecond still differ. */
const NONCE_BYTES = 16
const NONCE = /^[A-Za-z0-9_-]{22}$/
/** Epoch milliseconds, up to year 33658: anything longer is not ours. */
const EXPIRES = /^\d{1,15}$/
/** `v1.` + 15 digits + `.` + 22 + `.` + 43 characters: a longer value is refused before any work. */
const MAX_VALUE_LENGTH = 96

/** The key that signs console sessions, derived from ADMIN_TOKEN (32 bytes). */
export function sessionKey(adminToken: string): Buffer {
  return Buffer.from(hkdfSync('sha256', adminToken, Buffer.alloc(0), KEY_LABEL, 32))
}

/** A new session value that is valid until `expiresAt` (epoch ms). */
export function mintSession(key: Buffer, expiresAt: number): string {
  const signed = `${VERSION}.${Math.floor(expiresAt)}.${randomBytes(NONCE_BYTES).toString('base64url')}`
  return `${signed}.${mac(key, signed)}`
}

export type SessionCheck =
  | { valid: true; expiresAt: number }
  | { valid: false; reason: 'expired' | 'invalid' }

/**
 * Whether `value` is a session this key signed that has not expired at `now`. The MAC is checked
 * (in constant time) before the expiry is read, so "expired" is only ever said of a genuine session.
 */
export function checkSession(key: Buffer, value: string, now: number): SessionCheck {
  if (value.length > MAX_VALUE_LENGTH) return INVALID
  const parts = value.split('.')
  if (parts.length !== 4) return INVALID
  const [version, expires, nonce, given] = parts as [string, string, string, string]
  if (version !== VERSION || !EXPIRES.test(expires) || !NONCE.test(nonce)) return INVALID
  if (!safeEqual(given, mac(key, `${version}.${expires}.${nonce}`))) return INVALID
  const expiresAt = Number(expires)
  if (now >= expiresAt) return { valid: false, reason: 'expired' }
  return { valid: true, expiresAt }
}

const INVALID: SessionCheck = { valid: false, reason: 'invalid' }

function mac(key: Buffer, signed: string): string {
  return createHmac('sha256', key).update(signed).digest('base64url')
}
