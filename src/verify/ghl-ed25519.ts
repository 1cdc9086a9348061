import type { KeyObject } from 'node:crypto'
import { verifyEd25519 } from './ed25519-check.mjs'
import { ed25519Thread } from './ed25519-thread.js'
import { decodeBase64Strict } from './encoding.js'
import { firstMatchingKey, type KeyMatch, type KeyRing } from './key-match.js'
import type { TrustedKey } from './types.js'

const ED25519_SIGNATURE_BYTES = 64

function signatureBytes(signature: string): Buffer | undefined {
  const bytes = decodeBase64Strict(signature)
  return bytes !== undefined && bytes.length === ED25519_SIGNATURE_BYTES ? bytes : undefined
}

const rawKeys = new WeakMap<KeyObject, Buffer>()

/** The 32 raw bytes of an Ed25519 public key, which libsodium takes instead of a KeyObject. */
function rawKey({ key }: TrustedKey): Buffer {
  let raw = rawKeys.get(key)
  if (raw === undefined) {
    const { x } = key.export({ format: 'jwk' })
    raw = Buffer.from(x ?? '', 'base64url')
    rawKeys.set(key, raw)
  }
  return raw
}

/** Checks one `X-GHL-Signature` value (base64 Ed25519 over the raw body) against trusted keys. */
export function verifyGhlEd25519(rawBody: Buffer, signature: string, ring: KeyRing): KeyMatch {
  const bytes = signatureBytes(signature)
  if (bytes === undefined) return { status: 'malformed' }
  const match = firstMatchingKey(ring.keys, (key) => verifyEd25519(rawBody, bytes, rawKey(key)))
  if (match.status === 'matched') ring.promote(match.key)
  return match
}

/**
 * The same check on the verification thread (ed25519-thread.ts): at ~40 µs per signature it is
 * a large part of a webhook's CPU cost, and off the main thread it runs on another core while the
 * event loop parses, stores and answers other requests.
 */
export async function verifyGhlEd25519Async(
  rawBody: Buffer,
  signature: string,
  ring: KeyRing,
): Promise<KeyMatch> {
  const bytes = signatureBytes(signature)
  if (bytes === undefined) return { status: 'malformed' }
  // The ring may be reordered while the thread works; the answer indexes this snapshot.
  const keys = ring.keys
  const index = await ed25519Thread().check(rawBody, bytes, keys.map(rawKey))
  const key = keys[index]
  if (key === undefined) return { status: 'no_match' }
  ring.promote(key)
  return { status: 'matched', key }
}
