import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { KeyConfigError } from './key-config-error.js'
import { keyId, type PublicKeyKind } from './keys.js'

/**
 * Signing the way GHL signs, over the exact body bytes: Ed25519 → `X-GHL-Signature`, RSA → the
 * legacy `X-WH-Signature` (RSASSA-PKCS1-v1_5 / SHA-256), both base64. The gateway uses it to send
 * the console's sample payloads through its own receive path (CONSOLE_SAMPLE_SIGNING_KEY), where
 * ghl.ts verifies them like any webhook. The private key never leaves this closure.
 */

export const GHL_SIGNATURE_HEADER: Record<PublicKeyKind, string> = {
  ed25519: 'x-ghl-signature',
  rsa: 'x-wh-signature',
}

export interface GhlSigner {
  kind: PublicKeyKind
  /** `ed25519:<12 hex>`, as verification records it (`verification.keyId`): public, safe to show. */
  keyId: string
  /** The signature header for exactly these bytes. */
  sign(body: Buffer): Record<string, string>
}

/**
 * Reads a private key file (PEM, as `ghl-gateway keys generate` writes) once, at boot. `source` names
 * the setting in the sentence a bad file gets; the sentence never quotes the file's content.
 */
export function readGhlSigner(path: string, source: string): GhlSigner {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new KeyConfigError(
      `${source}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        source,
        cause: error,
      },
    )
  }
  let key: KeyObject
  try {
    key = createPrivateKey(text)
  } catch (error) {
    throw new KeyConfigError(
      `${source}: ${path} is not a PEM private key; pass the private key written by \`ghl-gateway keys generate\``,
      { source, cause: error },
    )
  }
  const kind = key.asymmetricKeyType
  if (kind !== 'ed25519' && kind !== 'rsa') {
    throw new KeyConfigError(
      `${source}: ${path} is a ${kind ?? 'unknown'} key; GHL signs with Ed25519 or RSA`,
      {
        source,
      },
    )
  }
  const header = GHL_SIGNATURE_HEADER[kind]
  const algorithm = kind === 'rsa' ? 'sha256' : null
  return {
    kind,
    keyId: keyId(kind, createPublicKey(key)),
    sign: (body) => ({ [header]: sign(algorithm, body, key).toString('base64') }),
  }
}
