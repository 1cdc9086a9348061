import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { decodeBase64Strict, decodeHexStrict } from './encoding.js'
import { GHL_ED25519_PUBLIC_KEY_SPKI_BASE64, GHL_RSA_PUBLIC_KEY_PEM } from './ghl-keys.js'
import { KeyConfigError } from './key-config-error.js'
import type { TrustedKey } from './types.js'

export { KeyConfigError } from './key-config-error.js'

export type PublicKeyKind = 'ed25519' | 'rsa'

const KIND_NAME: Record<PublicKeyKind, string> = { ed25519: 'Ed25519', rsa: 'RSA' }
const OTHER_KIND: Record<PublicKeyKind, PublicKeyKind> = { ed25519: 'rsa', rsa: 'ed25519' }
// GHL signs with RSA-4096; anything under 2048 bits is a mistake or a key nobody should trust.
const MIN_RSA_BITS = 2048
const RAW_ED25519_BYTES = 32
// A base64 Ed25519 key is at least 43 characters; shorter base64-looking text is more likely a
// relative path such as `keys/ghl`.
const MIN_KEY_TEXT = 43
const PEM_BLOCK = /^-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----$/

type Fail = (problem: string) => never

/** `<kind>:<first 12 hex of sha256(SPKI DER)>`: stable across formats, safe to log. */
export function keyId(kind: PublicKeyKind, key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' })
  return `${kind}:${createHash('sha256').update(der).digest('hex').slice(0, 12)}`
}

/**
 * Parses a comma-separated list of public keys from configuration, once at boot. Each entry is a
 * base64 SPKI DER key, a raw 32-byte Ed25519 key in base64 or hex (Ed25519 only), an inline PEM
 * (literal `\n` escapes allowed, as env files often flatten newlines) or a path to a PEM file.
 * Blank entries are skipped. Throws a `KeyConfigError` naming `source` and the 1-based entry.
 */
export function parsePublicKeyList(
  value: string | undefined,
  kind: PublicKeyKind,
  source: string,
): TrustedKey[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  return entries.map((entry, index) => {
    const position = index + 1
    const fail: Fail = (problem) => {
      throw new KeyConfigError(`${source} entry ${position} ${problem}`, { source, position })
    }
    const key = checkKind(parseEntry(entry, kind, fail, true), kind, fail)
    return { id: keyId(kind, key), key }
  })
}

/** GHL's built-in keys first (so they report the built-in ids), then any extras from the env. */
export function ghlTrustedKeys(env: { GHL_ED25519_PUBLIC_KEYS?: string; GHL_RSA_PUBLIC_KEYS?: string }): {
  ed25519: TrustedKey[]
  rsa: TrustedKey[]
} {
  const builtinEd25519 = createPublicKey({
    key: Buffer.from(GHL_ED25519_PUBLIC_KEY_SPKI_BASE64, 'base64'),
    format: 'der',
    type: 'spki',
  })
  const builtinRsa = createPublicKey(GHL_RSA_PUBLIC_KEY_PEM)
  return {
    ed25519: withoutDuplicates([
      { id: 'ghl-ed25519-builtin', key: builtinEd25519 },
      ...parsePublicKeyList(env.GHL_ED25519_PUBLIC_KEYS, 'ed25519', 'GHL_ED25519_PUBLIC_KEYS'),
    ]),
    rsa: withoutDuplicates([
      { id: 'ghl-rsa-builtin', key: builtinRsa },
      ...parsePublicKeyList(env.GHL_RSA_PUBLIC_KEYS, 'rsa', 'GHL_RSA_PUBLIC_KEYS'),
    ]),
  }
}

// Operators often paste the published key into the env "to be explicit"; keeping the first copy
// avoids verifying twice and keeps the built-in id in the records.
function withoutDuplicates(keys: TrustedKey[]): TrustedKey[] {
  return keys.filter((candidate, index) => keys.findIndex((k) => k.key.equals(candidate.key)) === index)
}

function parseEntry(entry: string, kind: PublicKeyKind, fail: Fail, allowPath: boolean): KeyObject {
  if (entry.startsWith('-----')) return parsePem(entry.replace(/\\r/g, '').replace(/\\n/g, '\n'), fail)
  if (kind === 'ed25519' && /^[0-9a-fA-F]{64}$/.test(entry)) return rawEd25519(decodeHexStrict(entry)!)
  const bytes = entry.length >= MIN_KEY_TEXT ? decodeBase64Strict(entry) : undefined
  if (bytes === undefined) {
    if (allowPath) return parseFile(entry, kind, fail)
    return fail(
      `is neither PEM nor base64 key material; put one ${KIND_NAME[kind]} public key in the file, as PEM or base64 SPKI`,
    )
  }
  if (kind === 'ed25519' && bytes.length === RAW_ED25519_BYTES) return rawEd25519(bytes)
  return parseDer(bytes, 'spki', fail, `is base64 (${entry.length} characters) but not an SPKI public key`)
}

function parseFile(path: string, kind: PublicKeyKind, fail: Fail): KeyObject {
  let content: string
  try {
    content = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error'
    return fail(
      `is not key material, and reading it as a file path (${displayPath(path)}) failed with ${code}; give a base64 SPKI key, an inline PEM, or the path of a readable PEM file`,
    )
  }
  const fileFail: Fail = (problem) => fail(`(file ${displayPath(path)}) ${problem}`)
  return parseEntry(content.trim(), kind, fileFail, false)
}

// Paths are not secrets, but an entry that only failed to be key material might be a mangled
// private key, so it is shown only when it plainly looks like a path.
function displayPath(path: string): string {
  const looksLikePath = path.length < 200 && !/\s/.test(path) && /\/|\.(pem|pub|key)$/i.test(path)
  return looksLikePath ? path : `${path.length} characters, not shown`
}

function parsePem(text: string, fail: Fail): KeyObject {
  const match = PEM_BLOCK.exec(text.trim())
  if (!match) {
    return fail(
      'starts like PEM but has no matching -----END ...----- line; paste the whole block, with newlines as \\n in env files',
    )
  }
  const label = match[1]!
  if (label.includes('PRIVATE')) {
    return fail(`is a PEM ${label}; configure only the public key here and treat this private key as exposed`)
  }
  const der = decodeBase64Strict((match[2] ?? '').replace(/\s+/g, ''))
  if (der === undefined) return fail(`is a PEM ${label} block whose body is not valid base64; re-copy it`)
  if (label === 'PUBLIC KEY')
    return parseDer(der, 'spki', fail, 'is a PEM PUBLIC KEY block that does not decode')
  if (label === 'RSA PUBLIC KEY') {
    return parseDer(der, 'pkcs1', fail, 'is a PEM RSA PUBLIC KEY block that does not decode')
  }
  return fail(`is a PEM ${label} block; give the -----BEGIN PUBLIC KEY----- block instead`)
}

function parseDer(der: Buffer, type: 'spki' | 'pkcs1', fail: Fail, problem: string): KeyObject {
  try {
    return createPublicKey({ key: der, format: 'der', type })
  } catch {
    // A base64 PKCS#8 private key is a common paste mistake; say so, without echoing any of it.
    if (isPrivateKeyDer(der)) {
      return fail(
        'is a private key; configure only the public key here and treat this private key as exposed',
      )
    }
    return fail(`${problem}; re-copy the public key from the sender's documentation`)
  }
}

function isPrivateKeyDer(der: Buffer): boolean {
  try {
    createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
    return true
  } catch {
    return false
  }
}

function rawEd25519(bytes: Buffer): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') },
    format: 'jwk',
  })
}

function checkKind(key: KeyObject, kind: PublicKeyKind, fail: Fail): KeyObject {
  const actual = key.asymmetricKeyType
  if (actual === kind) {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    if (kind === 'rsa' && bits < MIN_RSA_BITS) {
      return fail(
        `is a ${bits}-bit RSA key (${keyId(kind, key)}); use a key of at least ${MIN_RSA_BITS} bits`,
      )
    }
    return key
  }
  if (actual === OTHER_KIND[kind]) {
    const other = OTHER_KIND[kind]
    return fail(
      `is an ${KIND_NAME[other]} public key (${keyId(other, key)}), but this list takes ${KIND_NAME[kind]} keys only; move it to the ${KIND_NAME[other]} key list`,
    )
  }
  return fail(`is a ${actual ?? 'unknown'} public key, but this list takes ${KIND_NAME[kind]} keys only`)
}
