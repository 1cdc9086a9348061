import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { GHL_SIGNATURE_HEADER, keyId } from '../verify/index.js'
import { UsageError } from './errors.js'

/**
 * Signing the way GHL signs (REFERENCE.md b.1, b.2), over the exact body bytes sent:
 * - Ed25519 → `X-GHL-Signature: <base64 signature>`;
 * - RSA → `X-WH-Signature: <base64 RSASSA-PKCS1-v1_5 / SHA-256 signature>` (the legacy header).
 * The keys come from `ghl-gateway keys generate`; a gateway trusts them through
 * GHL_ED25519_PUBLIC_KEYS / GHL_RSA_PUBLIC_KEYS, parsed by the same `verify/keys.ts` as GHL's own.
 */

export const SIGN_SCHEMES = ['ed25519', 'rsa', 'none'] as const
export type SignScheme = (typeof SIGN_SCHEMES)[number]
export type KeyKind = Exclude<SignScheme, 'none'>

/** Where `keys generate` writes and `send`/`simulate` look, relative to the working directory. */
export const DEFAULT_KEYS_DIR = join('.ghl-gateway', 'keys')

export const KEY_FILES: Record<KeyKind, { privateKey: string; publicKey: string }> = {
  ed25519: { privateKey: 'ed25519.pem', publicKey: 'ed25519.pub.pem' },
  rsa: { privateKey: 'rsa.pem', publicKey: 'rsa.pub.pem' },
}

export const SIGNATURE_HEADER: Record<KeyKind, string> = GHL_SIGNATURE_HEADER

export interface Signer {
  scheme: SignScheme
  /** `ed25519:<12 hex>` as the gateway records it (`verification.keyId`); null for `none`. */
  keyId: string | null
  keyPath: string | null
  /** The signature header(s) for exactly these bytes; empty for `none`. */
  sign(body: Buffer): Record<string, string>
}

export interface LoadSignerOptions {
  /** `--sign`; undefined = the key's own kind (Ed25519 for the default key). */
  scheme?: SignScheme
  /** `--key`; else GHL_SIGNING_KEY; else the default key for the scheme. */
  keyPath?: string
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export function defaultKeyPath(kind: KeyKind, cwd = process.cwd()): string {
  return resolve(cwd, DEFAULT_KEYS_DIR, KEY_FILES[kind].privateKey)
}

/** The private key file `send` uses: `--key`, else GHL_SIGNING_KEY, else the default for the scheme. */
function signingKeyPath(options: LoadSignerOptions): { path: string; given: string | undefined } {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const given = options.keyPath ?? (env.GHL_SIGNING_KEY?.trim() || undefined)
  const path = given ? resolve(cwd, given) : defaultKeyPath(options.scheme === 'rsa' ? 'rsa' : 'ed25519', cwd)
  return { path, given }
}

/** What `ghl-gateway send` would sign with here, for doctor and serve's summary; signs nothing. */
export type SendKeyStatus =
  | { state: 'missing'; path: string }
  | { state: 'unreadable'; path: string }
  | { state: 'ready'; path: string; kind: KeyKind; keyId: string }

export function sendKeyStatus(options: Pick<LoadSignerOptions, 'env' | 'cwd'> = {}): SendKeyStatus {
  const { path } = signingKeyPath(options)
  if (!existsSync(path)) return { state: 'missing', path }
  try {
    const signer = loadSigner(options)
    return { state: 'ready', path, kind: signer.scheme as KeyKind, keyId: signer.keyId! }
  } catch {
    return { state: 'unreadable', path }
  }
}

/** Whether a gateway trusting `keys` (ghlTrustedKeys) accepts what `send` signs with this key. */
export function isTrusted(
  keys: Record<KeyKind, readonly { id: string }[]>,
  key: { kind: KeyKind; keyId: string },
): boolean {
  return keys[key.kind].some((trusted) => trusted.id === key.keyId)
}

export function loadSigner(options: LoadSignerOptions = {}): Signer {
  if (options.scheme === 'none') return { scheme: 'none', keyId: null, keyPath: null, sign: () => ({}) }
  const cwd = options.cwd ?? process.cwd()
  const { path, given } = signingKeyPath(options)
  const shown = relative(cwd, path).startsWith('..') ? path : relative(cwd, path)
  if (!existsSync(path)) {
    throw new UsageError(
      given
        ? `no signing key at ${shown}; pass the private key file written by \`ghl-gateway keys generate\``
        : `no signing key at ${shown}; run \`ghl-gateway keys generate\` first (or pass --key <file>, or --sign none)`,
    )
  }
  const privateKey = readPrivateKey(path, shown)
  const kind = privateKey.asymmetricKeyType
  if (kind !== 'ed25519' && kind !== 'rsa') {
    throw new UsageError(`${shown} is a ${kind ?? 'unknown'} key; GHL signs with Ed25519 or RSA keys only`)
  }
  if (options.scheme !== undefined && options.scheme !== kind) {
    throw new UsageError(
      `${shown} is an ${kind === 'rsa' ? 'RSA' : 'Ed25519'} key but --sign ${options.scheme} was asked; pass --sign ${kind} or a --key of the other kind`,
    )
  }
  const header = SIGNATURE_HEADER[kind]
  const algorithm = kind === 'rsa' ? 'sha256' : null
  return {
    scheme: kind,
    keyId: keyId(kind, createPublicKey(privateKey)),
    keyPath: path,
    sign: (body) => ({ [header]: sign(algorithm, body, privateKey).toString('base64') }),
  }
}

function readPrivateKey(path: string, shown: string): KeyObject {
  const text = readFileSync(path, 'utf8')
  try {
    return createPrivateKey(text)
  } catch {
    if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(text)) {
      throw new UsageError(
        `${shown} holds a public key; pass the private key (e.g. ed25519.pem, not ed25519.pub.pem)`,
      )
    }
    throw new UsageError(`${shown} is not a PEM private key; generate one with \`ghl-gateway keys generate\``)
  }
}
