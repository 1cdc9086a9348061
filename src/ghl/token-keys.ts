import { createHash, createSecretKey, type KeyObject } from 'node:crypto'

/**
 * GHL_TOKEN_KEY: the keys that encrypt GHL tokens at rest. One or more entries, comma-separated,
 * each 32 random bytes in base64 (`openssl rand -base64 32`). The first encrypts; every entry
 * decrypts. To rotate: put the new key first and keep the old one after it
 * (`GHL_TOKEN_KEY=<new>,<old>`); each token is re-encrypted with the new key at its next refresh
 * (within a day), after which the old entry may go.
 *
 * A key's id is its fingerprint (`key_` + 12 hex characters of a SHA-256 over a label and the key),
 * stored beside each ciphertext. Ids are computed, not chosen: a hand-written id can be given to the
 * wrong key or reused for a new one; a fingerprint names exactly one key, and reveals nothing of it.
 * An error that names a key (the boot check: "tokens encrypted with key_3fa9…, which GHL_TOKEN_KEY
 * no longer holds") names it by this id.
 */

export interface TokenKey {
  /** `key_<12 hex>`: the key's fingerprint. */
  readonly id: string
  /** A KeyObject: printing or logging it shows no key bytes. */
  readonly key: KeyObject
}

export interface TokenKeyRing {
  /** The key new ciphertexts are written with (the first entry). */
  readonly current: TokenKey
  /** Every key, by id (the current one included). */
  readonly byId: ReadonlyMap<string, TokenKey>
}

const KEY_BYTES = 32
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const BASE64URL = /^[A-Za-z0-9_-]+$/

/** The fingerprint of 32 key bytes. */
export function tokenKeyId(bytes: Buffer): string {
  const digest = createHash('sha256').update('ghl-gateway token key id\u0000').update(bytes).digest('hex')
  return `key_${digest.slice(0, 12)}`
}

/**
 * Parses GHL_TOKEN_KEY. A problem is a sentence that never quotes the text (it is a secret): it
 * says which entry (1-based) and what it should be.
 */
export function parseTokenKeys(text: string): TokenKeyRing | { problem: string } {
  const entries = text.split(',').map((entry) => entry.trim())
  const keys: TokenKey[] = []
  for (const [i, entry] of entries.entries()) {
    const which = entries.length > 1 ? `GHL_TOKEN_KEY entry ${i + 1}` : 'GHL_TOKEN_KEY'
    if (entry === '') return { problem: `${which} is empty; remove the extra comma` }
    const bytes = decodeKey(entry)
    if (bytes === undefined) {
      return {
        problem: `${which} must be 32 random bytes in base64 (e.g. from \`openssl rand -base64 32\`); it is not base64`,
      }
    }
    if (bytes.length !== KEY_BYTES) {
      return {
        problem: `${which} must be 32 random bytes in base64 (e.g. from \`openssl rand -base64 32\`); it decodes to ${bytes.length} bytes`,
      }
    }
    const id = tokenKeyId(bytes)
    if (keys.some((key) => key.id === id)) {
      return { problem: `${which} repeats an earlier entry (${id}); list each key once` }
    }
    keys.push({ id, key: createSecretKey(bytes) })
  }
  return { current: keys[0]!, byId: new Map(keys.map((key) => [key.id, key])) }
}

/** Standard base64 (padded) or base64url (unpadded); anything else is undefined. */
function decodeKey(text: string): Buffer | undefined {
  if (BASE64.test(text)) return Buffer.from(text, 'base64')
  if (BASE64URL.test(text)) return Buffer.from(text, 'base64url')
  return undefined
}
