import { BaseError, type ErrorCause } from '../errors.js'

export interface KeyConfigErrorOptions extends ErrorCause {
  /** The env var or option the bad value came from, e.g. `GHL_ED25519_PUBLIC_KEYS`. */
  source?: string
  /** 1-based position of the bad entry in a comma-separated list. */
  position?: number
}

/**
 * A key, secret or verifier option that cannot be used. Thrown at boot only, so configuration
 * mistakes stop the gateway with a sentence that says what to fix instead of rejecting every
 * webhook later. Messages never contain secrets.
 */
export class KeyConfigError extends BaseError {
  override name = 'KeyConfigError'
  readonly source: string | undefined
  readonly position: number | undefined

  constructor(message: string, options: KeyConfigErrorOptions = {}) {
    super(message, options)
    this.source = options.source
    this.position = options.position
  }
}
