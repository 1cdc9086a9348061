import { verify } from 'node:crypto'
import { decodeBase64Strict } from './encoding.js'
import { firstMatchingKey, type KeyMatch } from './key-match.js'
import type { TrustedKey } from './types.js'

const ED25519_SIGNATURE_BYTES = 64

/** Checks one `X-GHL-Signature` value (base64 Ed25519 over the raw body) against trusted keys. */
export function verifyGhlEd25519(rawBody: Buffer, signature: string, keys: readonly TrustedKey[]): KeyMatch {
  const bytes = decodeBase64Strict(signature)
  if (bytes === undefined || bytes.length !== ED25519_SIGNATURE_BYTES) return { status: 'malformed' }
  // Ed25519 hashes internally, hence the `null` algorithm.
  return firstMatchingKey(keys, ({ key }) => verify(null, rawBody, key, bytes))
}
