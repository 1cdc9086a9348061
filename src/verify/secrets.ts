import { KeyConfigError } from './key-config-error.js'
import type { SharedSecret } from './types.js'

/**
 * Boot-time check shared by the shared-secret verifiers: a verifier without secrets would reject
 * every request, and an empty secret would make any signature (or empty token) acceptable.
 */
export function requireSecrets(secrets: readonly SharedSecret[], verifier: string): SharedSecret[] {
  if (secrets.length === 0) {
    throw new KeyConfigError(`The ${verifier} verifier has no secrets; configure at least one`)
  }
  for (const secret of secrets) {
    if (secret.value.length === 0) {
      throw new KeyConfigError(
        `Secret "${secret.id}" of the ${verifier} verifier is empty; set a non-empty value`,
      )
    }
  }
  return [...secrets]
}
