import { BaseError } from '../errors.js'

/**
 * What to tell a person whose database cannot be used: the sentence and the fix `ghl-gateway doctor`
 * prints as its database check, and `serve` prints when it cannot start. One text for both, so the
 * advice at a failed start is the advice doctor gives.
 */
export interface DatabaseProblem {
  message: string
  fix: string
}

export function databaseProblem(location: string, error: unknown): DatabaseProblem {
  const e = error as Error & { code?: string }
  if (/append-only/.test(e.message)) {
    return {
      message: e.message,
      fix: 'run the ghl-gateway version that applied it, or restore the migration file',
    }
  }
  const reason = e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message
  return {
    message: `cannot use ${location}: ${reason}`,
    fix: location.startsWith('sqlite:')
      ? 'check DATABASE_URL and that the file and its directory are writable by this user'
      : 'check DATABASE_URL and that the database server is running and reachable from here',
  }
}

/** The store could not be opened or migrated at start; the message says what to check. */
export class DatabaseUnavailableError extends BaseError {
  override name = 'DatabaseUnavailableError'
  constructor(problem: DatabaseProblem, cause: unknown) {
    super(`${problem.message}; ${problem.fix} (\`ghl-gateway doctor\` checks it)`, { cause })
  }
}
