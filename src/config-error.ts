import { BaseError } from './errors.js'

/** A setting is invalid: the message names every bad setting and what it should be. */
export class ConfigError extends BaseError {
  override name = 'ConfigError'
}
