import { createHash } from 'node:crypto'

/**
 * A short, stable stand-in for a credential header: enough to tell two values apart in the store
 * or the inspector, not enough to recover or replay the credential.
 */
export function fingerprint(value: string): string {
  return 'sha256:' + createHash('sha256').update(value).digest('hex').slice(0, 16)
}
