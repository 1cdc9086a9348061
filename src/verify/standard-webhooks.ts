import { createHmac } from 'node:crypto'
import { safeEqual } from './constant-time.js'
import { decodeBase64Strict } from './encoding.js'
import { headerValue } from './headers.js'
import { KeyConfigError } from './key-config-error.js'
import { requireSecrets } from './secrets.js'
import {
  DEFAULT_TOLERANCE_SECONDS,
  isValidTolerance,
  parseUnixTimestamp,
  toleranceProblem,
} from './timestamp.js'
import type { SharedSecret, Verifier, VerifyOutcome, VerifyRequest } from './types.js'

export interface StandardWebhooksVerifierOptions {
  /** Secret keys as bytes (see `decodeStandardSecret`); any may match, for rotation. */
  secrets: SharedSecret[]
  /**
   * Allowed clock difference, past or future, for `webhook-timestamp`.
   * @default 300
   */
  toleranceSeconds?: number
  /**
   * `svix` reads `svix-id`, `svix-timestamp` and `svix-signature` (Svix when not white-labelled).
   * @default 'webhook'
   */
  headerPrefix?: 'webhook' | 'svix'
}

const SECRET_PREFIX = 'whsec_'
const SHA256_BYTES = 32
const SIGNATURE_VERSION = 'v1'

type Rejection = Extract<VerifyOutcome, { ok: false }>

/**
 * Turns a configured `whsec_<base64>` secret (the prefix is optional) into key bytes. Throws a
 * `KeyConfigError` naming `source`, never the secret, when the text is not base64.
 */
export function decodeStandardSecret(secret: string, source = 'The Standard Webhooks secret'): Buffer {
  const trimmed = secret.trim()
  const encoded = trimmed.startsWith(SECRET_PREFIX) ? trimmed.slice(SECRET_PREFIX.length) : trimmed
  const bytes = decodeBase64Strict(encoded)
  if (bytes === undefined) {
    throw new KeyConfigError(
      `${source} is not "whsec_" followed by base64 key bytes; copy the secret exactly as the sender shows it`,
      { source },
    )
  }
  return bytes
}

/**
 * One `webhook-signature` entry, `v1,<base64>`, for `id.timestamp.body`. During secret rotation
 * send one entry per secret, joined with spaces. `timestamp` is Unix seconds, as in the header.
 */
export function signStandardWebhook(
  secret: Buffer,
  id: string,
  timestamp: number,
  body: Buffer | string,
): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`Standard Webhooks timestamps are whole Unix seconds, got ${timestamp}`)
  }
  return `${SIGNATURE_VERSION},${signature(secret, id, String(timestamp), body).toString('base64')}`
}

/** Standard Webhooks (https://www.standardwebhooks.com) v1: HMAC-SHA256 over `id.timestamp.body`. */
export function createStandardWebhooksVerifier(options: StandardWebhooksVerifierOptions): Verifier {
  const secrets = requireSecrets(options.secrets, 'Standard Webhooks')
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (!isValidTolerance(tolerance)) {
    throw new KeyConfigError(
      `Standard Webhooks toleranceSeconds must be a positive number of seconds, not ${tolerance}`,
    )
  }
  const prefix = options.headerPrefix ?? 'webhook'
  const idHeader = `${prefix}-id`
  const timestampHeader = `${prefix}-timestamp`
  const signatureHeader = `${prefix}-signature`

  return {
    scheme: 'standard-webhooks',
    credentialHeaders: [signatureHeader],
    verify(request: VerifyRequest): VerifyOutcome {
      const id = headerValue(request.headers, idHeader)
      const timestamp = headerValue(request.headers, timestampHeader)
      const signatures = headerValue(request.headers, signatureHeader)
      if (id === undefined || timestamp === undefined || signatures === undefined) {
        const missing = [
          id === undefined ? idHeader : undefined,
          timestamp === undefined ? timestampHeader : undefined,
          signatures === undefined ? signatureHeader : undefined,
        ].filter((name) => name !== undefined)
        return reject(
          'missing_signature',
          `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing; a Standard Webhooks sender sends ${idHeader}, ${timestampHeader} and ${signatureHeader} with every request`,
        )
      }

      const signedAt = parseUnixTimestamp(timestamp, 'seconds')
      if (signedAt === undefined) {
        return reject(
          'invalid_signature',
          `${timestampHeader} is not a Unix timestamp in seconds; check the sender`,
        )
      }
      const candidates = v1Signatures(signatures)
      if (candidates.length === 0) {
        return reject(
          'invalid_signature',
          `${signatureHeader} has no "v1,<base64 HMAC-SHA256>" entry; this gateway verifies only v1 (symmetric) signatures`,
        )
      }

      const secret = secrets.find((candidate) => {
        const expected = signature(candidate.value, id, timestamp, request.rawBody)
        return candidates.some((provided) => safeEqual(provided, expected))
      })
      if (secret === undefined) {
        return reject(
          'invalid_signature',
          `${signatureHeader} matches no configured secret for ${idHeader}.${timestampHeader}.body; check that the sender's secret is configured for this source and that nothing rewrote the body`,
        )
      }
      // After the signature, so this code means "authentic but stale" (replay or clock skew).
      const problem = toleranceProblem(timestampHeader, signedAt, request.now, tolerance)
      if (problem) return reject('timestamp_out_of_tolerance', problem)
      return { ok: true, scheme: 'standard-webhooks', keyId: secret.id, senderEventId: id, signedAt }
    },
  }
}

// Entries are space-separated `<version>,<base64>`; other versions (`v1a` is Ed25519) and entries
// that cannot be an HMAC-SHA256 digest are skipped, as the reference library does.
function v1Signatures(header: string): Buffer[] {
  const digests: Buffer[] = []
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',')
    if (comma < 0 || entry.slice(0, comma) !== SIGNATURE_VERSION) continue
    const digest = decodeBase64Strict(entry.slice(comma + 1))
    if (digest?.length === SHA256_BYTES) digests.push(digest)
  }
  return digests
}

// The body is fed as bytes: the reference library signs `payload.toString()`, which is the same
// for UTF-8 bodies but would mangle any other bytes.
function signature(secret: Buffer, id: string, timestamp: string, body: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${id}.${timestamp}.`).update(body).digest()
}

function reject(code: Rejection['code'], message: string): Rejection {
  return { ok: false, scheme: 'standard-webhooks', code, message }
}
