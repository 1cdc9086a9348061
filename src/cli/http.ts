import http from 'node:http'
import https from 'node:https'
import { VERSION } from '../version.js'

/**
 * The HTTP client `send` and `simulate` post webhooks with: keep-alive agents capped at
 * `concurrency` sockets, a hard per-request deadline, no redirects followed (GHL follows none), and
 * the answer read in full (up to 64 KiB kept) so a 2xx is one the server really finished sending.
 */

export interface Answer {
  /** HTTP status; undefined when there was no answer (refused, reset, timeout). */
  status?: number
  /** Parsed JSON answer, when it was JSON. */
  json?: unknown
  text: string
  /** Why there was no answer. */
  error?: string
  /** From writing the request to the end of the answer. */
  latencyMs: number
}

export interface PosterOptions {
  /** Most requests in flight at once (sockets per origin). @default 64 */
  concurrency?: number
  /** The whole exchange must finish within this. @default 10000 */
  timeoutMs?: number
}

export interface Poster {
  post(url: URL, headers: Record<string, string>, body: Buffer): Promise<Answer>
  /** Ends idle and in-flight sockets (in-flight requests resolve as "no answer"). */
  close(): void
}

const KEEP_TEXT = 64 * 1024
export const USER_AGENT = `ghl-gateway-cli/${VERSION}`

export function createPoster(options: PosterOptions = {}): Poster {
  const concurrency = options.concurrency ?? 64
  const timeoutMs = options.timeoutMs ?? 10_000
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: concurrency }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: concurrency }),
  }
  const inflight = new Set<http.ClientRequest>()

  const post = (url: URL, headers: Record<string, string>, body: Buffer): Promise<Answer> =>
    new Promise((resolve) => {
      const started = performance.now()
      const lib = url.protocol === 'https:' ? https : http
      let settled = false
      const finish = (answer: Omit<Answer, 'latencyMs'>) => {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        inflight.delete(request)
        resolve({ ...answer, latencyMs: performance.now() - started })
      }
      const request = lib.request(url, {
        method: 'POST',
        agent: agents[url.protocol as 'http:' | 'https:'],
        headers: { 'user-agent': USER_AGENT, ...headers, 'content-length': String(body.length) },
      })
      inflight.add(request)
      // Settles even if the socket dies mid-answer without an 'error' event.
      const deadline = setTimeout(() => {
        request.destroy(new Error(`no answer within ${timeoutMs} ms`))
        finish({ text: '', error: `ETIMEDOUT no answer within ${timeoutMs} ms` })
      }, timeoutMs)
      request.on('error', (error: NodeJS.ErrnoException) =>
        finish({ text: '', error: error.code ? `${error.code} ${error.message}` : error.message }),
      )
      request.on('response', (response) => {
        const chunks: Buffer[] = []
        let kept = 0
        response.on('data', (chunk: Buffer) => {
          if (kept < KEEP_TEXT) {
            chunks.push(chunk)
            kept += chunk.length
          }
        })
        response.on('error', (error) => finish({ text: '', error: error.message }))
        // 'close' after 'end' is a no-op; before it, the answer was cut off.
        response.on('close', () => finish({ text: '', error: 'ECONNRESET the answer was cut off' }))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, KEEP_TEXT)
          let json: unknown
          if (/json/i.test(String(response.headers['content-type'] ?? ''))) {
            try {
              json = JSON.parse(text)
            } catch {
              json = undefined
            }
          }
          finish({ status: response.statusCode ?? 0, json, text })
        })
      })
      request.end(body)
    })

  return {
    post,
    close() {
      for (const request of inflight) request.destroy(new Error('stopped'))
      agents['http:'].destroy()
      agents['https:'].destroy()
    },
  }
}

/** What a ghl-gateway (or any JSON) answer says: `accepted`, `duplicate`, an error code, or nothing. */
export function answerOutcome(answer: Answer): {
  outcome: string | null
  eventId: string | null
  message: string | null
} {
  const body = answer.json
  if (typeof body !== 'object' || body === null) return { outcome: null, eventId: null, message: null }
  const record = body as Record<string, unknown>
  const error = record.error
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as Record<string, unknown>
    return {
      outcome: typeof code === 'string' ? code : null,
      eventId: null,
      message: typeof message === 'string' ? message : null,
    }
  }
  return {
    outcome: typeof record.status === 'string' ? record.status : null,
    eventId: typeof record.eventId === 'string' ? record.eventId : null,
    message: null,
  }
}

/**
 * One GET with `node:http(s)` (not `fetch`, which refuses ports such as 6000 or 10080 that a
 * gateway may well use). Resolves with any status; rejects only when there was no answer.
 */
export function httpGet(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return httpCall('GET', url, headers, undefined, timeoutMs)
}

/** `httpGet` for any method, with an optional body (the admin API's POST and DELETE). */
export function httpCall(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: Buffer | undefined,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http
    const request = lib.request(url, {
      method,
      headers: {
        'user-agent': USER_AGENT,
        ...headers,
        ...(body ? { 'content-length': String(body.length) } : {}),
      },
      agent: false,
    })
    const deadline = setTimeout(() => {
      const error = new Error(`no answer within ${timeoutMs} ms`)
      request.destroy(error)
      reject(error)
    }, timeoutMs)
    request.on('error', (error) => {
      clearTimeout(deadline)
      reject(error)
    })
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('close', () => {
        if (!response.complete) reject(new Error('the answer was cut off'))
      })
      response.on('error', (error) => {
        clearTimeout(deadline)
        reject(error)
      })
      response.on('end', () => {
        clearTimeout(deadline)
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') })
      })
    })
    request.end(body)
  })
}
