import { CONSOLE_HEADER } from '../../src/api/console-header.js'
import type { ErrorBodyJson } from '../../src/api/schemas/index.js'

/**
 * Every call the console makes to the gateway's admin API. The session is a cookie (HttpOnly: this
 * script never sees it); a change (any method but GET) carries `X-Gateway-Console: 1`, the header
 * the gateway requires with the cookie — another site's form or image cannot send it.
 *
 * URLs are relative to where the console is served (`…/ui/`), so the console works under any path
 * prefix a reverse proxy adds: the API is `…/api/`.
 */

/** The path of the console's root, `/ui/` (or `/<prefix>/ui/` behind a proxy). */
export const UI_BASE = (() => {
  const path = window.location.pathname
  const at = path.indexOf('/ui/')
  return at < 0 ? '/ui/' : path.slice(0, at + 4)
})()

/** The admin API's root beside it: `/api/`. */
export const API_BASE = `${UI_BASE.slice(0, -3)}api/`

/** An error answer of the API: its catalog code and sentence (docs/errors.md). */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Listeners told when the API answered 401: the session ended (expired, logged out elsewhere). */
const onUnauthorized = new Set<() => void>()
export function whenUnauthorized(listener: () => void): () => void {
  onUnauthorized.add(listener)
  return () => onUnauthorized.delete(listener)
}

type Query = Record<string, string | number | undefined | null>

export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  const search = params.toString()
  return `${API_BASE}${path}${search ? `?${search}` : ''}`
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  query?: Query
  body?: unknown
  /** Do not announce a 401 (the session check and the login form handle theirs). */
  quietUnauthorized?: boolean
}

export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const method = options.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET') headers[CONSOLE_HEADER] = '1'
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    })
  } catch {
    throw new ApiError(0, 'network_error', 'the gateway could not be reached; is it running?')
  }
  if (response.status === 204) return undefined as T
  const text = await response.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    throw new ApiError(
      response.status,
      'invalid_answer',
      `the gateway answered ${response.status} without JSON`,
    )
  }
  if (!response.ok) {
    const error = (json as Partial<ErrorBodyJson> | undefined)?.error
    if (response.status === 401 && !options.quietUnauthorized)
      for (const listener of onUnauthorized) listener()
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `the gateway answered ${response.status}`,
    )
  }
  return json as T
}

/** The message to show for anything a call threw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message
  return error instanceof Error ? error.message : String(error)
}
