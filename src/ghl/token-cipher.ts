import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { GhlTokenOwner } from '../store/types.js'
import { GhlTokenDecryptError } from './errors.js'
import type { TokenKey, TokenKeyRing } from './token-keys.js'

/**
 * Tokens at rest: AES-256-GCM from node:crypto. Chosen over libsodium's AEAD (`sodium-native`, which
 * the verifier already uses) because node:crypto is in every Node build while sodium-native may not
 * load on a platform (the verifier then falls back; tokens would have no fallback), and GCM's limit
 * on random nonces (2^32 encryptions per key) is far beyond a token pair per location per day.
 *
 * A ciphertext is `0x01 | nonce (12) | encrypted token | tag (16)`. Its associated data names the row
 * and the token's kind — app, user type, owner (location or company) id, `access` or `refresh` — and
 * the key id, so a ciphertext copied to another row, or an access token swapped with a refresh token,
 * fails to decrypt instead of authenticating someone else's API calls.
 */

export type TokenKind = 'access' | 'refresh'

const FORMAT = 0x01
const NONCE_BYTES = 12
const TAG_BYTES = 16

function associatedData(owner: GhlTokenOwner, kind: TokenKind, keyId: string): Buffer {
  return Buffer.from(
    ['ghl-gateway token v1', owner.appId, owner.userType, owner.ownerId, kind, keyId].join('\u0000'),
  )
}

export function encryptToken(token: string, owner: GhlTokenOwner, kind: TokenKind, key: TokenKey): Buffer {
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(associatedData(owner, kind, key.id))
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()])
  return Buffer.concat([Buffer.from([FORMAT]), nonce, body, cipher.getAuthTag()])
}

/**
 * The token in `ciphertext`, written with key `keyId` for this row and kind. Throws
 * GhlTokenDecryptError, saying whether the key is missing or the ciphertext does not belong here.
 */
export function decryptToken(
  ciphertext: Buffer,
  owner: GhlTokenOwner,
  kind: TokenKind,
  keyId: string,
  keys: TokenKeyRing,
): string {
  const where = `the stored ${kind} token of ${owner.userType.toLowerCase()} ${owner.ownerId}`
  const key = keys.byId.get(keyId)
  if (!key) {
    throw new GhlTokenDecryptError(
      `${where} was encrypted with ${keyId}, which GHL_TOKEN_KEY does not hold (${[...keys.byId.keys()].join(', ')}); put that key back after the current one`,
    )
  }
  if (ciphertext.length < 1 + NONCE_BYTES + TAG_BYTES || ciphertext[0] !== FORMAT) {
    throw new GhlTokenDecryptError(`${where} is not a ciphertext this gateway wrote`)
  }
  const nonce = ciphertext.subarray(1, 1 + NONCE_BYTES)
  const tag = ciphertext.subarray(ciphertext.length - TAG_BYTES)
  const body = ciphertext.subarray(1 + NONCE_BYTES, ciphertext.length - TAG_BYTES)
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(associatedData(owner, kind, keyId))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
  } catch (error) {
    throw new GhlTokenDecryptError(
      `${where} does not decrypt with ${keyId}: it was altered, or copied from another row`,
      { cause: error },
    )
  }
}
