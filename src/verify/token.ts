import { safeEqual } from './constant-time.js'
import { decodeBase64Strict } from './encoding.js'
import { headerValue } from './headers.js'
import { requireSecrets } from './secrets.js'
import type { SharedSecret, Verifier, VerifyOutcome, VerifyRequest } from './types.js'

export interface TokenVerifierOptions {
  /**
   * Header carrying the credential (any case).
   * @default 'authorization'
   */
  header?: string
  /** `bearer`: `Bearer <token>`; `basic`: `Basic base64(user:password)`; `raw`: the whole value. */
  scheme: 'bearer' | 'basic' | 'raw'
  /** Accepted tokens; for `basic` each value is `user:password`. Several allow rotation. */
  secrets: SharedSecret[]
}

type Rejection = Extract<VerifyOutcome, { ok: false }>

const SCHEME_WORD = { bearer: 'Bearer', basic: 'Basic' } as const

/** A static credential in a header. No signature over the body, so pair it with TLS. */
export function createTokenVerifier(options: TokenVerifierOptions): Verifier {
  const header = options.header ?? 'authorization'
  const secrets = requireSecrets(options.secrets, `${options.scheme} token`)
  const expectedForm =
    options.scheme === 'raw'
      ? `${header}: <token>`
      : `${header}: ${SCHEME_WORD[options.scheme]} <credentials>`

  return {
    scheme: 'token',
    credentialHeaders: [header.toLowerCase()],
    verify(request: VerifyRequest): VerifyOutcome {
      const value = headerValue(request.headers, header)
      if (value === undefined) {
        return reject('missing_signature', `${header} is missing; this source expects "${expectedForm}"`)
      }
      const credential = readCredential(value, options.scheme)
      if (credential === undefined) {
        return reject(
          'invalid_signature',
          `${header} is not in the form "${expectedForm}"; check the sender's setup`,
        )
      }
      const secret = secrets.find((candidate) => safeEqual(credential, candidate.value))
      if (secret === undefined) {
        const what = options.scheme === 'basic' ? 'user name and password' : 'token'
        return reject(
          'invalid_signature',
          `The ${what} in ${header} matches none configured for this source; check the credential set at the sender`,
        )
      }
      return { ok: true, scheme: 'token', keyId: secret.id }
    },
  }
}

function readCredential(value: string, scheme: TokenVerifierOptions['scheme']): Buffer | undefined {
  if (scheme === 'raw') return Buffer.from(value)
  // RFC 9110: the auth-scheme word is case-insensitive and followed by at least one space.
  const match = /^(\S+)\s+(\S+)$/.exec(value)
  if (!match || match[1]!.toLowerCase() !== scheme) return undefined
  const credentials = match[2]!
  return scheme === 'bearer' ? Buffer.from(credentials) : decodeBase64Strict(credentials)
}

function reject(code: Rejection['code'], message: string): Rejection {
  return { ok: false, scheme: 'token', code, message }
}
