import { verify } from 'node:crypto'
import { decodeBase64Strict } from './encoding.js'
import { firstMatchingKey, firstMatchingKeyAsync, type KeyMatch, type KeyRing } from './key-match.js'

const ED25519_SIGNATURE_BYTES = 64

function signatureBytes(signature: string): Buffer | undefined {
  const bytes = decodeBase64Strict(signature)
  return bytes !== undefined && bytes.length === ED25519_SIGNATURE_BYTES ? bytes : undefined
}

/** Checks one `X-GHL-Signature` value (base64 Ed25519 over the raw body) against trusted keys. */
export function verifyGhlEd25519(rawBody: Buffer, signature: string, ring: KeyRing): KeyMatch {
  const bytes = signatureBytes(signature)
  if (bytes === undefined) return { status: 'malformed' }
  // Ed25519 hashes internally, hence the `null` algorithm.
  const match = firstMatchingKey(ring.keys, ({ key }) => verify(null, rawBody, key, bytes))
  if (match.status === 'matched') ring.promote(match.key)
  return match
}

/**
 * The same check on libuv's thread pool (`crypto.verify` with a callback): at ~65 µs per
 * signature the check is most of a webhook's CPU cost, and off the main thread it runs on another
 * core while the event loop parses, stores and answers other requests.
 */
export async function verifyGhlEd25519Async(
  rawBody: Buffer,
  signature: string,
  ring: KeyRing,
): Promise<KeyMatch> {
  const bytes = signatureBytes(signature)
  if (bytes === undefined) return { status: 'malformed' }
  const match = await firstMatchingKeyAsync(
    ring.keys,
    ({ key }) =>
      new Promise<boolean>((resolve, reject) =>
        verify(null, rawBody, key, bytes, (error, ok) => (error ? reject(error) : resolve(ok))),
      ),
  )
  if (match.status === 'matched') ring.promote(match.key)
  return match
}
