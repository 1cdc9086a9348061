import { type Command, InvalidArgumentError, Option } from 'commander'
import { parseDuration } from '../duration.js'

/** Parsers for commander options; a bad value is a usage error (exit 2) with the reason. */

export function portOption(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('must be a port number 0–65535')
  return n
}

export function integerOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`)
    }
    return n
  }
}

export function numberOption(min: number, max: number, { exclusiveMin = false } = {}) {
  return (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n) || n > max || (exclusiveMin ? n <= min : n < min)) {
      throw new InvalidArgumentError(
        `must be a number ${exclusiveMin ? 'above' : 'from'} ${min}${exclusiveMin ? '' : ` to ${max}`}`,
      )
    }
    return n
  }
}

export function durationOption(value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined) throw new InvalidArgumentError('must be a duration such as 500ms, 30s, 5m or 2h')
  return ms
}

/** For repeatable options (`--set a=1 --set b=2`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** `choice(['a','b'])` for options with a closed set of values. */
export function choiceOption<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!values.includes(value as T)) throw new InvalidArgumentError(`must be one of ${values.join(', ')}`)
    return value as T
  }
}

/** The local gateway's port, as `serve` would pick it from the environment. */
function localPort(env: NodeJS.ProcessEnv): string {
  const port = env.PORT?.trim()
  return port && /^\d{1,5}$/.test(port) ? port : '3000'
}

/** `http://127.0.0.1:${PORT:-3000}`: the gateway `npm start` runs in another terminal. */
export function defaultGatewayUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `http://127.0.0.1:${localPort(env)}`
}

/** Where GHL posts on the local gateway. */
export function defaultWebhookUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `${defaultGatewayUrl(env)}/webhooks/ghl`
}

/** Parses a URL given on the command line; only http(s). */
export function parseHttpUrl(text: string, what: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidArgumentError(`${what} must be a full URL such as http://127.0.0.1:3000/webhooks/ghl`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`${what} must be an http:// or https:// URL`)
  }
  return url
}

export function urlOption(what: string) {
  return (value: string): URL => parseHttpUrl(value, what)
}

/** ISO text and epoch ms pass through; a duration (`15m`, `2h`, `7d`) means that long ago. */
export function instantOption(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(Date.parse(value))) return value
  if (/^\d{10,}$/.test(value)) return value
  const ms = parseDuration(value)
  if (ms !== undefined && /[a-z]$/i.test(value.trim())) return new Date(Date.now() - ms).toISOString()
  throw new InvalidArgumentError(
    'must be an ISO time (2026-09-01T12:00:00Z), epoch milliseconds, or an age such as 15m, 2h, 7d',
  )
}

/** The flags `withConnection` adds. */
export interface ConnectionFlags {
  url: string
  token?: string
}

/** The last line of the help of every command that calls the admin API. */
export const ADMIN_ENV_HELP = 'Environment: ADMIN_TOKEN (admin token), PORT (default --url).'

/**
 * `--url` and `--token`: the admin API of a running gateway (see `clientFor`). Commander prints the
 * default itself; its description is the rule, not the value of this shell's PORT.
 */
export function withConnection(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'the gateway').default(
        defaultGatewayUrl(),
        'http://127.0.0.1:$PORT, PORT default 3000',
      ),
    )
    .option('--token <token>', 'admin token (env ADMIN_TOKEN)')
}
