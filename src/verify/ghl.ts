import { verifyGhlEd25519, verifyGhlEd25519Async } from './ghl-ed25519.js'
import { verifyGhlRsa } from './ghl-rsa.js'
import { headerValue } from './headers.js'
import { KeyConfigError } from './key-config-error.js'
import { type KeyMatch, KeyRing } from './key-match.js'
import type { TrustedKey, Verifier, VerifyOutcome, VerifyRequest } from './types.js'

export interface GhlVerifierKeys {
  /** Keys for `X-GHL-Signature`; at least one (normally `ghlTrustedKeys(env).ed25519`). */
  ed25519: readonly TrustedKey[]
  /** Keys for the legacy `X-WH-Signature`; empty turns RSA fallback off. */
  rsa: readonly TrustedKey[]
}

const ED25519_HEADER = 'x-ghl-signature'
const RSA_HEADER = 'x-wh-signature'

/**
 * GHL marketplace webhooks (REFERENCE.md b.4): `X-GHL-Signature` (Ed25519) decides alone when
 * present; the legacy `X-WH-Signature` (RSA) is consulted only when it is absent. Both are checked
 * over the raw body bytes, never over re-serialized JSON.
 */
export function createGhlVerifier(keys: GhlVerifierKeys): Verifier {
  if (keys.ed25519.length === 0) {
    throw new KeyConfigError(
      'The GHL verifier needs at least one Ed25519 key; pass ghlTrustedKeys(env).ed25519, which includes the published GHL key',
    )
  }
  const ed25519 = new KeyRing(keys.ed25519)
  const rsa = [...keys.rsa]

  const verifier: Verifier = {
    scheme: 'ghl-ed25519',
    credentialHeaders: [ED25519_HEADER, RSA_HEADER],
    verify(request: VerifyRequest): VerifyOutcome {
      const ed25519Signature = signatureHeader(request, ED25519_HEADER)
      // Falling back to RSA after a failed Ed25519 check would let an attacker who can forge
      // only the weaker legacy scheme win by adding a junk X-GHL-Signature.
      if (ed25519Signature !== undefined) {
        return outcome('ghl-ed25519', verifyGhlEd25519(request.rawBody, ed25519Signature, ed25519))
      }
      return legacy(request)
    },
    async verifyAsync(request: VerifyRequest): Promise<VerifyOutcome> {
      const ed25519Signature = signatureHeader(request, ED25519_HEADER)
      if (ed25519Signature !== undefined) {
        return outcome('ghl-ed25519', await verifyGhlEd25519Async(request.rawBody, ed25519Signature, ed25519))
      }
      return legacy(request)
    },
  }
  return verifier

  function legacy(request: VerifyRequest): VerifyOutcome {
    const rsaSignature = signatureHeader(request, RSA_HEADER)
    if (rsaSignature === undefined) {
      return {
        ok: false,
        scheme: 'ghl-ed25519',
        code: 'missing_signature',
        message:
          'The request has neither X-GHL-Signature nor X-WH-Signature (or only "N/A"); GHL signs every webhook, so check that it came from GHL and that no proxy strips these headers',
      }
    }
    if (rsa.length === 0) {
      return {
        ok: false,
        scheme: 'ghl-rsa',
        code: 'invalid_signature',
        message:
          'The request carries only the legacy X-WH-Signature and no RSA keys are configured; ask the sender to send X-GHL-Signature or set GHL_RSA_PUBLIC_KEYS',
      }
    }
    return outcome('ghl-rsa', verifyGhlRsa(request.rawBody, rsaSignature, rsa))
  }
}

// GHL's own sample treats the literal "N/A" as no signature; during the RSA → Ed25519 migration
// it sends that placeholder in whichever header it is not using.
function signatureHeader(request: VerifyRequest, name: string): string | undefined {
  const value = headerValue(request.headers, name)
  return value === undefined || value.toUpperCase() === 'N/A' ? undefined : value
}

const MESSAGES = {
  'ghl-ed25519': {
    malformed:
      'X-GHL-Signature is not a base64 Ed25519 signature (88 characters, 64 bytes); check that no proxy truncates or rewrites the header',
    no_match:
      "X-GHL-Signature does not match the request body for any trusted Ed25519 key; check that nothing rewrote the body and that GHL_ED25519_PUBLIC_KEYS lists the sender's key",
  },
  'ghl-rsa': {
    malformed:
      "X-WH-Signature is not a base64 RSA signature of a trusted key's size (684 characters for GHL's 4096-bit key); check that no proxy truncates or rewrites the header",
    no_match:
      "X-WH-Signature does not match the request body for any trusted RSA key; check that nothing rewrote the body and that GHL_RSA_PUBLIC_KEYS lists the sender's key",
  },
} as const

function outcome(scheme: 'ghl-ed25519' | 'ghl-rsa', match: KeyMatch): VerifyOutcome {
  if (match.status === 'matched') return { ok: true, scheme, keyId: match.key.id }
  return { ok: false, scheme, code: 'invalid_signature', message: MESSAGES[scheme][match.status] }
}
