import { verify } from 'node:crypto'
import { decodeBase64Strict } from './encoding.js'
import { firstMatchingKey, type KeyMatch } from './key-match.js'
import type { TrustedKey } from './types.js'

/**
 * Checks one legacy `X-WH-Signature` value (base64 RSASSA-PKCS1-v1_5 / SHA-256 over the raw body)
 * against trusted keys. GHL stops sending this header after 2026-09-01.
 */
export function verifyGhlRsa(rawBody: Buffer, signature: string, keys: readonly TrustedKey[]): KeyMatch {
  const bytes = decodeBase64Strict(signature)
  // A PKCS#1 v1.5 signature is exactly as long as the modulus (512 bytes for GHL's 4096-bit key).
  if (bytes === undefined || !keys.some((k) => modulusBytes(k) === bytes.length))
    return { status: 'malformed' }
  return firstMatchingKey(keys, ({ key }) => verify('sha256', rawBody, key, bytes))
}

function modulusBytes({ key }: TrustedKey): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8)
}
