/** A setting is invalid: the message names every bad setting and what it should be. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}
