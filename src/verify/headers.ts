import type { IncomingHttpHeaders } from 'node:http'

/**
 * One header's value, trimmed; `undefined` when absent or blank. Node joins repeated custom
 * headers with `, ` and only `set-cookie` arrives as an array; joining here the same way keeps a
 * duplicated signature header a (failing) single value instead of silently picking one copy.
 */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name.toLowerCase()]
  const value = (Array.isArray(raw) ? raw.join(', ') : (raw ?? '')).trim()
  return value === '' ? undefined : value
}
