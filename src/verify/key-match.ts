import type { TrustedKey } from './types.js'

/** Result of checking one signature header value against a list of trusted keys. */
export type KeyMatch =
  | { status: 'matched'; key: TrustedKey }
  /** The header value cannot be a signature of this scheme (bad base64, wrong length). */
  | { status: 'malformed' }
  /** Well-formed, but no trusted key verifies it over these bytes. */
  | { status: 'no_match' }

/**
 * The first key for which `check` passes. Several keys are tried because rotation keeps old and
 * new keys trusted at once; a throwing check counts as a failure so a verifier can never throw.
 */
export function firstMatchingKey(keys: readonly TrustedKey[], check: (key: TrustedKey) => boolean): KeyMatch {
  for (const key of keys) {
    let matched = false
    try {
      matched = check(key)
    } catch {
      matched = false
    }
    if (matched) return { status: 'matched', key }
  }
  return { status: 'no_match' }
}
