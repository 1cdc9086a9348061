import type { IncomingHttpHeaders } from 'node:http'

/**
 * Signature verification contract. One file per scheme implements `Verifier`; the receive stage
 * picks the verifier configured for the source and calls it on the raw body, before any JSON
 * parsing. Verifiers are synchronous, pure apart from `crypto`, and never throw for bad input:
 * every rejection is a `VerifyOutcome` with a catalog code and a message that says what to fix.
 */
export type SchemeName =
  | 'ghl-ed25519'
  | 'ghl-rsa'
  | 'hmac-sha256'
  | 'standard-webhooks'
  | 'token'
  | 'secret-url'
  | 'none'

export interface VerifyRequest {
  /** The exact bytes received. Signatures are checked over these, never over re-serialized JSON. */
  rawBody: Buffer
  /** Node's lower-cased header map. */
  headers: IncomingHttpHeaders
  /** The `:token` path segment, for `secret-url` sources. */
  urlToken?: string
  /** Current time in ms since the epoch; injected so tests can fix the clock. */
  now: number
}

export type RejectCode = 'missing_signature' | 'invalid_signature' | 'timestamp_out_of_tolerance'

export type VerifyOutcome =
  | {
      ok: true
      scheme: SchemeName
      /** Which trusted key or secret matched (a fingerprint or a configured name, never the secret). */
      keyId: string
      /** Event id supplied by the sender in a header (e.g. Standard Webhooks `webhook-id`). */
      senderEventId?: string
      /** Sender's signing time from a header, ms since the epoch (schemes with a timestamp header). */
      signedAt?: number
    }
  | { ok: false; scheme: SchemeName; code: RejectCode; message: string }

export interface Verifier {
  /** The scheme family this verifier implements (GHL reports `ghl-ed25519` or `ghl-rsa` per request). */
  readonly scheme: SchemeName
  /**
   * Header names (lower case) that carry credentials or signatures. The store keeps only a
   * fingerprint of these; logs never see them.
   */
  readonly credentialHeaders: readonly string[]
  verify(request: VerifyRequest): VerifyOutcome
  /**
   * The same decision, computed off the main thread (libuv's pool) where the scheme's cost makes
   * that worth it (Ed25519). Must agree with `verify` for every request.
   */
  verifyAsync?(request: VerifyRequest): Promise<VerifyOutcome>
}

/** A trusted public key, parsed once at boot. */
export interface TrustedKey {
  /** Stable, non-secret identifier recorded with each verified event, e.g. `ghl-builtin` or `ed25519:3f9a0c1b2d4e`. */
  id: string
  key: import('node:crypto').KeyObject
}

/** A shared secret (HMAC, Standard Webhooks, token, secret URL). */
export interface SharedSecret {
  /** Configured name or `secret[<index>]`; recorded as the key id. Never the secret itself. */
  id: string
  value: Buffer
}
