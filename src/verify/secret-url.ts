import { safeEqual } from './constant-time.js'
import { requireSecrets } from './secrets.js'
import type { SharedSecret, Verifier, VerifyOutcome, VerifyRequest } from './types.js'

export interface SecretUrlVerifierOptions {
  /** Accepted URL tokens; several allow rotation. */
  secrets: SharedSecret[]
  /** The source's name, used only to show the expected URL in reject messages. */
  source?: string
}

/**
 * For senders that cannot sign or set headers: the secret is the last path segment,
 * `POST /webhooks/<source>/<token>`. Weakest scheme; URLs end up in logs, so rotate on any leak.
 */
export function createSecretUrlVerifier(options: SecretUrlVerifierOptions): Verifier {
  const secrets = requireSecrets(options.secrets, 'secret URL')
  const url = `POST /webhooks/${options.source ?? '<source>'}/<token>`

  return {
    scheme: 'secret-url',
    credentialHeaders: [],
    verify(request: VerifyRequest): VerifyOutcome {
      const token = request.urlToken
      if (token === undefined || token === '') {
        return {
          ok: false,
          scheme: 'secret-url',
          code: 'missing_signature',
          message: `This source expects its secret in the URL: ${url}`,
        }
      }
      const secret = secrets.find((candidate) => safeEqual(token, candidate.value))
      if (secret === undefined) {
        return {
          ok: false,
          scheme: 'secret-url',
          code: 'invalid_signature',
          message: `The token in the URL matches none configured for this source; check the URL set at the sender (${url})`,
        }
      }
      return { ok: true, scheme: 'secret-url', keyId: secret.id }
    },
  }
}
