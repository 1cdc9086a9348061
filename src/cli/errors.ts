import { BaseError, type ErrorCause } from '../errors.js'

/**
 * Exit codes, the same for every command (README "CLI"):
 * - 0: done;
 * - 1: failure (a request was refused, the database is unreachable, a check failed);
 * - 2: usage or configuration error (fix the command line, environment or config file).
 */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** An error the CLI reports as one sentence on stderr, then exits with `exitCode`. */
export class CliError extends BaseError {
  override name = 'CliError'
  readonly exitCode: number
  constructor(message: string, exitCode: number = EXIT_FAILURE, options?: ErrorCause) {
    super(message, options)
    this.exitCode = exitCode
  }
}

/** The command line is wrong: exit 2. */
export class UsageError extends CliError {
  override name = 'UsageError'
  constructor(message: string) {
    super(message, EXIT_USAGE)
  }
}
