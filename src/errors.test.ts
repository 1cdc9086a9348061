import { describe, expect, it } from 'vitest'
import { AdminApiError } from './cli/admin-client.js'
import { CliError, UsageError } from './cli/errors.js'
import { ConfigError } from './config-error.js'
import { HandlerTimeoutError, PermanentError, RetryableError } from './deliver/errors.js'
import {
  DestinationGone,
  DestinationTimeout,
  EgressRefused,
  HttpStatusError,
  NetworkError,
  OAuthTokenError,
} from './destinations/http/errors.js'
import { BaseError, coerceError, GatewayError } from './errors.js'
import { DatabaseUnavailableError } from './store/database-problem.js'
import { QueueFullError } from './store/group-commit.js'
import { KeyConfigError } from './verify/key-config-error.js'

describe('the error classes', () => {
  const cause = new Error('underneath')
  // The names are what attempts record as `errorClass` and logs print: they must not change.
  const all: [Error, string][] = [
    [new GatewayError('not_found', 'm', { cause }), 'GatewayError'],
    [new ConfigError('m', { cause }), 'ConfigError'],
    [new CliError('m', 1, { cause }), 'CliError'],
    [new UsageError('m'), 'UsageError'],
    [new AdminApiError('m', 404, 'not_found'), 'AdminApiError'],
    [new RetryableError('m', { cause }), 'RetryableError'],
    [new PermanentError('m', { cause }), 'PermanentError'],
    [new HandlerTimeoutError(5), 'HandlerTimeoutError'],
    [new EgressRefused('m'), 'EgressRefused'],
    [new DestinationTimeout(5), 'DestinationTimeout'],
    [new NetworkError('m', { cause, code: 'ECONNRESET' }), 'NetworkError'],
    [new HttpStatusError(500, 'm'), 'HttpStatusError'],
    [new DestinationGone('m'), 'DestinationGone'],
    [new OAuthTokenError('m', { cause }), 'OAuthTokenError'],
    [new DatabaseUnavailableError({ message: 'm', fix: 'f' }, cause), 'DatabaseUnavailableError'],
    [new QueueFullError(5), 'QueueFullError'],
    [new KeyConfigError('m', { cause }), 'KeyConfigError'],
  ]

  it.each(all.map(([error, name]) => [name, error] as const))(
    '%s names itself in its stack',
    (name, error) => {
      expect(error).toBeInstanceOf(BaseError)
      expect(error.name).toBe(name)
      expect(error.stack).toMatch(new RegExp(`^${name}: `))
    },
  )

  it('keep a cause only when one is given', () => {
    expect(new PermanentError('m', { cause }).cause).toBe(cause)
    expect(new NetworkError('m', { cause }).cause).toBe(cause)
    for (const error of [
      new PermanentError('m'),
      new PermanentError('m', { cause: undefined }),
      new ConfigError('m'),
    ])
      expect(Object.hasOwn(error, 'cause')).toBe(false)
  })

  it("keep the library class's name for an application's subclass, as before", () => {
    class Mine extends PermanentError {}
    expect(new Mine('m').name).toBe('PermanentError')
  })
})

describe('coerceError', () => {
  it('keeps errors, turns strings into messages, and keeps anything else as the cause', () => {
    const error = new Error('x')
    expect(coerceError(error)).toBe(error)
    expect(coerceError('plain text').message).toBe('plain text')
    const thrown = { code: 42 }
    expect(coerceError(thrown)).toMatchObject({ message: 'non-error thrown', cause: thrown })
  })
})
