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

/**
 * Trusted keys in the order to try them: the key that matched last goes first. Normally one key
 * signs everything, so a verification costs one signature check instead of one per configured key
 * (GHL's built-in key would otherwise be tried — and fail — before every extra key, and during a
 * rotation the new key takes the lead as soon as it is in use).
 */
export class KeyRing {
  #keys: readonly TrustedKey[]

  constructor(keys: readonly TrustedKey[]) {
    this.#keys = [...keys]
  }

  get keys(): readonly TrustedKey[] {
    return this.#keys
  }

  get size(): number {
    return this.#keys.length
  }

  promote(key: TrustedKey): void {
    if (this.#keys[0] === key) return
    this.#keys = [key, ...this.#keys.filter((k) => k !== key)]
  }
}
