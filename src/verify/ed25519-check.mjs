// One Ed25519 signature check, shared by the main thread (ghl-ed25519.ts) and the verification
// thread (ed25519-worker.mjs). Plain JavaScript, copied to dist/ as it is, so the worker runs the
// same file under tsx, vitest and the built gateway.
import { createPublicKey, verify } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

// libsodium verifies in ~40 µs here; OpenSSL 3 through node:crypto takes ~67 µs, most of the
// difference being the per-call provider lookup and context setup (docs/benchmarks.md, "Signature
// verification"). sodium-native ships prebuilt binaries; where none loads (an unusual platform),
// node:crypto gives the same answers for real keys, slower (OpenSSL before 3.5 accepts forgeries
// under a small-order key, which libsodium refuses; ed25519-thread.test.ts).
const sodium = loadSodium()

function loadSodium() {
  try {
    return require('sodium-native')
  } catch {
    return undefined
  }
}

/** Which library checks Ed25519 signatures in this process: `libsodium` or `openssl`. */
export const ed25519Backend = sodium ? 'libsodium' : 'openssl'

const PUBLIC_KEY_BYTES = 32
const SIGNATURE_BYTES = 64

/**
 * libsodium's check. It is stricter than OpenSSL's in ways an honest signer never meets: it also
 * rejects non-canonical and small-order public keys and `R` points.
 */
export function verifyEd25519Sodium(body, signature, publicKey) {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false
  return sodium.crypto_sign_verify_detached(signature, body, publicKey)
}

/** @type {Map<string, import('node:crypto').KeyObject>} */
const keyObjects = new Map()

export function verifyEd25519OpenSsl(body, signature, publicKey) {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false
  const hex = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('hex')
  let key = keyObjects.get(hex)
  if (key === undefined) {
    const x = Buffer.from(hex, 'hex').toString('base64url')
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' })
    keyObjects.set(hex, key)
  }
  return verify(null, body, key, signature)
}

/** Whether `signature` (64 bytes) is a valid Ed25519 signature of `body` by `publicKey` (32 bytes). */
export const verifyEd25519 = sodium ? verifyEd25519Sodium : verifyEd25519OpenSsl
