import { CliError, UsageError } from './errors.js'
import { httpGet } from './http.js'

/**
 * The admin API as the CLI sees it: `GET <url>/api/...` with `Authorization: Bearer <ADMIN_TOKEN>`.
 * Every failure becomes one sentence that says what to do.
 */

export interface AdminClient {
  readonly baseUrl: string
  get<T>(path: string, query?: Record<string, string | number | undefined>): Promise<T>
}

export interface AdminClientOptions {
  url: string
  /** `--token`, else ADMIN_TOKEN. */
  token: string | undefined
  timeoutMs?: number
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
  return {
    baseUrl,
    async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
      const url = new URL(`${baseUrl}${path}`)
      for (const [key, value] of Object.entries(query))
        if (value !== undefined) url.searchParams.set(key, String(value))
      let response: { status: number; text: string }
      try {
        response = await httpGet(
          url,
          { authorization: `Bearer ${token}`, accept: 'application/json' },
          timeoutMs,
        )
      } catch (error) {
        const e = error as NodeJS.ErrnoException
        throw new CliError(
          `no gateway answers at ${baseUrl} (${e.code ?? e.message}); start one (\`npm start\`) or pass --url`,
        )
      }
      const { text } = response
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        body = undefined
      }
      if (response.status >= 200 && response.status < 300 && body !== undefined) return body as T
      const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error
      if (response.status === 401) {
        throw new CliError(
          "the gateway refused the admin token; pass --token or set ADMIN_TOKEN to the gateway's value",
        )
      }
      if (response.status === 404 && /admin API is disabled/.test(error?.message ?? '')) {
        throw new CliError("the gateway's admin API is disabled; restart it with ADMIN_TOKEN set")
      }
      if (error?.message)
        throw new CliError(`the gateway answered ${response.status} ${error.code}: ${error.message}`)
      throw new CliError(
        `${url.pathname} answered ${response.status} ${text.slice(0, 80)}; is ${baseUrl} a ghl-gateway?`,
      )
    },
  }
}
