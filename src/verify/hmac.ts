import { createHmac } from 'node:crypto'
import { safeEqual } from './constant-time.js'
import { decodeBase64Strict, decodeHexStrict } from './encoding.js'
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

export interface HmacVerifierOptions {
  /** Header carrying the signature, e.g. `X-Hub-Signature-256` or `Stripe-Signature` (any case). */
  header: string
  /** Text before the digest, e.g. `sha256=`; matched case-insensitively. Plain style only. */
  prefix?: string
  /**
   * Digest encoding; hex is accepted in either case. Plain style only (Stripe is always hex).
   * @default 'hex'
   */
  encoding?: 'hex' | 'base64'
  /** Several secrets are tried in order so a sender can rotate without downtime. */
  secrets: SharedSecret[]
  /** Header carrying the signing time, Unix seconds or milliseconds. Plain style only. */
  timestampHeader?: string
  /**
   * Allowed clock difference, past or future, when a timestamp is signed.
   * @default 300
   */
  toleranceSeconds?: number
  /**
   * What the sender signs, with placeholders `{timestamp}` (the header text as sent) and `{body}`
   * (the raw bytes). Plain style only.
   * @default '{body}', or '{timestamp}.{body}' when `timestampHeader` is set
   */
  signedPayload?: string
  /**
   * `stripe` reads `t=<unix>,v1=<hex>[,v1=<hex>…]` from `header` and signs `{timestamp}.{body}`.
   * @default 'plain'
   */
  style?: 'plain' | 'stripe'
}

type Rejection = Extract<VerifyOutcome, { ok: false }>
/** What a request claims: candidate digests and, when signed, the timestamp text as sent. */
interface Claim {
  signatures: Buffer[]
  timestamp?: { text: string; label: string }
}

const TIMESTAMP = Symbol('timestamp')
const BODY = Symbol('body')
type PayloadPart = Buffer | typeof TIMESTAMP | typeof BODY
const SHA256_BYTES = 32

/** HMAC-SHA256 over the raw body (GitHub `sha256=<hex>` style and variants) or Stripe style. */
export function createHmacVerifier(options: HmacVerifierOptions): Verifier {
  const style = options.style ?? 'plain'
  const secrets = requireSecrets(options.secrets, `HMAC (${options.header})`)
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  if (!isValidTolerance(tolerance)) {
    throw new KeyConfigError(`HMAC toleranceSeconds must be a positive number of seconds, not ${tolerance}`)
  }
  if (style === 'stripe') rejectPlainOnlyOptions(options)
  const hasTimestamp = style === 'stripe' || options.timestampHeader !== undefined
  const template =
    style === 'stripe'
      ? '{timestamp}.{body}'
      : (options.signedPayload ?? (hasTimestamp ? '{timestamp}.{body}' : '{body}'))
  const payload = compilePayload(template, hasTimestamp)
  const readClaim = style === 'stripe' ? readStripeClaim : readPlainClaim

  return {
    scheme: 'hmac-sha256',
    credentialHeaders: [options.header.toLowerCase()],
    verify(request: VerifyRequest): VerifyOutcome {
      const claim = readClaim(request, options)
      if ('code' in claim) return claim

      let signedAt: number | undefined
      if (claim.timestamp) {
        signedAt = parseUnixTimestamp(claim.timestamp.text, 'auto')
        if (signedAt === undefined) {
          return reject(
            'invalid_signature',
            `${claim.timestamp.label} is not a Unix timestamp in seconds or milliseconds; check the sender's signature format`,
          )
        }
      }

      const secret = secrets.find((candidate) => {
        const expected = sign(candidate.value, payload, request.rawBody, claim.timestamp?.text ?? '')
        return claim.signatures.some((signature) => safeEqual(signature, expected))
      })
      if (secret === undefined) {
        return reject(
          'invalid_signature',
          `${options.header} does not match an HMAC-SHA256 of ${template} under any configured secret; check that the sender uses the same secret and that nothing rewrote the body`,
        )
      }

      // Checked after the signature so this code means "authentic but stale": a replay or a clock
      // problem, never a forged request with a plausible timestamp.
      if (claim.timestamp && signedAt !== undefined) {
        const problem = toleranceProblem(claim.timestamp.label, signedAt, request.now, tolerance)
        if (problem) return reject('timestamp_out_of_tolerance', problem)
      }
      const outcome: VerifyOutcome = { ok: true, scheme: 'hmac-sha256', keyId: secret.id }
      if (signedAt !== undefined) outcome.signedAt = signedAt
      return outcome
    },
  }
}

function readPlainClaim(request: VerifyRequest, options: HmacVerifierOptions): Claim | Rejection {
  const value = headerValue(request.headers, options.header)
  if (value === undefined) {
    return reject(
      'missing_signature',
      `${options.header} is missing; this source expects an HMAC-SHA256 signature of the request in it`,
    )
  }
  let timestamp: Claim['timestamp']
  if (options.timestampHeader !== undefined) {
    const text = headerValue(request.headers, options.timestampHeader)
    if (text === undefined) {
      return reject(
        'missing_signature',
        `${options.timestampHeader} is missing; this source signs a timestamp and expects it in that header`,
      )
    }
    timestamp = { text, label: options.timestampHeader }
  }
  const prefix = options.prefix ?? ''
  if (value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
    return reject(
      'invalid_signature',
      `${options.header} must start with "${prefix}"; check the sender's signature format`,
    )
  }
  const encoding = options.encoding ?? 'hex'
  const text = value.slice(prefix.length)
  const digest = encoding === 'hex' ? decodeHexStrict(text) : decodeBase64Strict(text)
  if (digest === undefined || digest.length !== SHA256_BYTES) {
    const expected = encoding === 'hex' ? '64 hex characters' : '44 base64 characters'
    return reject(
      'invalid_signature',
      `${options.header} is not a ${encoding} HMAC-SHA256 digest (${expected}${prefix ? ` after "${prefix}"` : ''}); check the sender's signature format`,
    )
  }
  return timestamp ? { signatures: [digest], timestamp } : { signatures: [digest] }
}

// Stripe-Signature: `t=1700000000,v1=<hex>,v1=<hex>,v0=<hex>`. Several v1 entries appear while
// the sender rotates its secret; other schemes (v0) are ignored, as stripe-node does.
function readStripeClaim(request: VerifyRequest, options: HmacVerifierOptions): Claim | Rejection {
  const value = headerValue(request.headers, options.header)
  if (value === undefined) {
    return reject(
      'missing_signature',
      `${options.header} is missing; this source expects a Stripe-style "t=<timestamp>,v1=<signature>" header`,
    )
  }
  let timestampText: string | undefined
  const signatures: Buffer[] = []
  for (const element of value.split(',')) {
    const separator = element.indexOf('=')
    if (separator < 0) continue
    const key = element.slice(0, separator).trim()
    const text = element.slice(separator + 1).trim()
    if (key === 't' && timestampText === undefined) timestampText = text
    if (key !== 'v1') continue
    const digest = decodeHexStrict(text)
    if (digest?.length === SHA256_BYTES) signatures.push(digest)
  }
  if (timestampText === undefined || signatures.length === 0) {
    return reject(
      'invalid_signature',
      `${options.header} needs a t=<unix seconds> element and at least one v1=<64 hex characters> element; check the sender's signature format`,
    )
  }
  return { signatures, timestamp: { text: timestampText, label: `The t= element of ${options.header}` } }
}

function rejectPlainOnlyOptions(options: HmacVerifierOptions): void {
  const plainOnly = {
    prefix: options.prefix,
    timestampHeader: options.timestampHeader,
    signedPayload: options.signedPayload,
    encoding: options.encoding === 'base64' ? options.encoding : undefined,
  }
  const conflicting = Object.keys(plainOnly).filter(
    (k) => plainOnly[k as keyof typeof plainOnly] !== undefined,
  )
  if (conflicting.length > 0) {
    throw new KeyConfigError(
      `HMAC style "stripe" fixes the header format, so remove ${conflicting.join(', ')} from the options for ${options.header}`,
    )
  }
}

// The template is split once at boot; at request time each part is fed to the HMAC in turn, so the
// body is hashed as raw bytes and never decoded to a string (which would mangle non-UTF-8 bytes).
function compilePayload(template: string, hasTimestamp: boolean): PayloadPart[] {
  const parts = template.split(/(\{timestamp\}|\{body\})/).filter((part) => part !== '')
  if (!parts.includes('{body}')) {
    throw new KeyConfigError(
      `HMAC signedPayload "${template}" must contain {body}, or the body would go unsigned`,
    )
  }
  if (parts.includes('{timestamp}') && !hasTimestamp) {
    throw new KeyConfigError(`HMAC signedPayload "${template}" uses {timestamp}; set timestampHeader as well`)
  }
  const unknown = parts.find((part) => part !== '{timestamp}' && part !== '{body}' && /\{\w+\}/.test(part))
  if (unknown !== undefined) {
    throw new KeyConfigError(
      `HMAC signedPayload "${template}" has an unknown placeholder in "${unknown}"; only {timestamp} and {body} exist`,
    )
  }
  return parts.map((part) =>
    part === '{timestamp}' ? TIMESTAMP : part === '{body}' ? BODY : Buffer.from(part),
  )
}

function sign(secret: Buffer, payload: PayloadPart[], rawBody: Buffer, timestamp: string): Buffer {
  const hmac = createHmac('sha256', secret)
  for (const part of payload) hmac.update(part === BODY ? rawBody : part === TIMESTAMP ? timestamp : part)
  return hmac.digest()
}

function reject(code: Rejection['code'], message: string): Rejection {
  return { ok: false, scheme: 'hmac-sha256', code, message }
}
