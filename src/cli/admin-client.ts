import http from 'node:http'
import https from 'node:https'
import { CliError, UsageError } from './errors.js'
import { httpCall, USER_AGENT } from './http.js'

/**
 * The admin API as the CLI sees it: `<url>/api/...` with `Authorization: Bearer <ADMIN_TOKEN>`.
 * Every failure becomes one sentence that says what to do.
 */

type Query = Record<string, string | number | undefined>

export interface AdminClient {
  readonly baseUrl: string
  get<T>(path: string, query?: Query): Promise<T>
  post<T>(path: string, body: unknown): Promise<T>
  /** A 204 (no content) resolves with undefined. */
  put<T>(path: string, body: unknown): Promise<T | undefined>
  patch<T>(path: string, body: unknown): Promise<T>
  delete<T>(path: string): Promise<T>
  /**
   * Opens a long-lived GET (`/api/stream`): resolves with the answer once a 200 arrives (read it
   * as it comes), rejects with the same sentences as `get` otherwise.
   */
  openStream(path: string, query?: Query): Promise<{ response: http.IncomingMessage; close: () => void }>
}

export interface AdminClientOptions {
  url: string
  /** `--token`, else ADMIN_TOKEN. */
  token: string | undefined
  timeoutMs?: number
}

/** The gateway answered, but not with success: `status` and the catalog `code` say how. */
export class AdminApiError extends CliError {
  override name = 'AdminApiError'
  readonly status: number
  readonly code: string | undefined
  constructor(message: string, status: number, code: string | undefined) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** The client for commands with `--url` and `--token` (see `withConnection`). */
export function clientFor(flags: { url: string; token?: string }): AdminClient {
  return createAdminClient({ url: flags.url, token: flags.token ?? process.env.ADMIN_TOKEN })
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
  const token = options.token?.trim()
  if (!token) {
    throw new UsageError("no admin token: set ADMIN_TOKEN (the gateway's value) or pass --token")
  }
  let base: URL
  try {
    base = new URL(options.url)
  } catch {
    throw new UsageError(
      `--url must be the gateway's address, e.g. http://127.0.0.1:3000 (got "${options.url}")`,
    )
  }
  const baseUrl = base.href.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? 30_000
  const authorization = `Bearer ${token}`

  const urlFor = (path: string, query: Query = {}) => {
    const url = new URL(`${baseUrl}${path}`)
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(key, String(value))
    return url
  }
  const unreachable = (error: unknown) => {
    const e = error as NodeJS.ErrnoException
    return new CliError(
      `no gateway answers at ${baseUrl} (${e.code ?? e.message}); start one (\`npm start\`) or pass --url`,
    )
  }

  const call = async <T>(method: string, url: URL, body?: unknown): Promise<T> => {
    let response: { status: number; text: string }
    try {
      response = await httpCall(
        method,
        url,
        {
          authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
        timeoutMs,
      )
    } catch (error) {
      throw unreachable(error)
    }
    if (response.status === 204) return undefined as T
    const parsed = parseJson(response.text)
    if (response.status >= 200 && response.status < 300 && parsed !== undefined) return parsed as T
    throw answerError(response.status, response.text, parsed, url, baseUrl)
  }

  return {
    baseUrl,
    get: (path, query) => call('GET', urlFor(path, query)),
    post: (path, body) => call('POST', urlFor(path), body),
    put: (path, body) => call('PUT', urlFor(path), body),
    patch: (path, body) => call('PATCH', urlFor(path), body),
    delete: (path) => call('DELETE', urlFor(path)),
    openStream(path, query) {
      const url = urlFor(path, query)
      return new Promise((resolve, reject) => {
        const lib = url.protocol === 'https:' ? https : http
        const request = lib.get(url, {
          headers: { 'user-agent': USER_AGENT, authorization, accept: 'text/event-stream' },
          agent: false,
        })
        // Only the answer's head is waited for; the body may then stay quiet for as long as it likes.
        const deadline = setTimeout(
          () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)),
          timeoutMs,
        )
        request.on('error', (error) => {
          clearTimeout(deadline)
          reject(unreachable(error))
        })
        request.on('response', (response) => {
          clearTimeout(deadline)
          if (response.statusCode === 200) {
            if (!/^text\/event-stream/.test(String(response.headers['content-type']))) {
              request.destroy()
              reject(new CliError(`${url.pathname} is not an event stream; is ${baseUrl} a ghl-gateway?`))
              return
            }
            resolve({ response, close: () => request.destroy() })
            return
          }
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', (error) => reject(unreachable(error)))
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            reject(answerError(response.statusCode ?? 0, text, parseJson(text), url, baseUrl))
          })
        })
      })
    },
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function answerError(status: number, text: string, body: unknown, url: URL, baseUrl: string): AdminApiError {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error
  if (status === 401) {
    return new AdminApiError(
      "the gateway refused the admin token; pass --token or set ADMIN_TOKEN to the gateway's value",
      status,
      error?.code,
    )
  }
  if (status === 404 && /admin API is disabled/.test(error?.message ?? '')) {
    return new AdminApiError(
      "the gateway's admin API is disabled; restart it with ADMIN_TOKEN set",
      status,
      error?.code,
    )
  }
  if (error?.message)
    return new AdminApiError(
      `the gateway answered ${status} ${error.code}: ${error.message}`,
      status,
      error.code,
    )
  return new AdminApiError(
    `${url.pathname} answered ${status} ${text.slice(0, 80)}; is ${baseUrl} a ghl-gateway?`,
    status,
    undefined,
  )
}
