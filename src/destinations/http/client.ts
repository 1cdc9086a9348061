import { isUtf8 } from 'node:buffer'
import { Agent, buildConnector, type Dispatcher } from 'undici'
import { coerceError } from '../../errors.js'
import type { EgressGuard } from './egress-guard.js'
import { DestinationTimeout, EgressRefused, NetworkError } from './errors.js'

/**
 * The outbound HTTP client: one undici `Agent` per gateway, which keeps a keep-alive pool per
 * origin. Every connection goes through the SSRF guard (IP literals and `localhost` names in the
 * connector, resolved names in its `lookup`). Redirects are never followed — undici's dispatcher
 * does not follow them without a redirect interceptor, and we install none.
 */

/** What an attempt saved of the answer (the attempt's `response` column). */
export interface SavedResponse {
  /** null when there was no response (timeout, connection error). */
  status: number | null
  durationMs: number
  /** Response headers, lowercased (`set-cookie` is dropped: it carries sessions). */
  headers?: Record<string, string>
  /** The first `responseBodyBytes` bytes, as text when they are UTF-8, else base64. */
  body?: string
  bodyEncoding?: 'utf8' | 'base64'
  /** The body was longer than what was saved. */
  truncated?: boolean
}

/** The hard time limit of one attempt (token request, request, response), shared by its requests. */
export interface Deadline {
  signal: AbortSignal
  timeoutMs: number
  /** ms left. */
  remaining(): number
  timedOut(): boolean
}

export interface HttpRequest {
  url: string
  method: string
  headers: Record<string, string>
  body: Buffer | undefined
  deadline: Deadline
  /** How much of the response body to keep. */
  responseBodyBytes: number
}

export type HttpResult =
  | {
      kind: 'response'
      status: number
      headers: Record<string, string>
      bodyBytes: Buffer
      saved: SavedResponse
    }
  | { kind: 'error'; error: Error; saved: SavedResponse }

export interface HttpClientOptions {
  guard: EgressGuard
  /** @default 10_000 */
  connectTimeoutMs?: number
  /** Idle keep-alive connections are closed after this. @default 4000 (below Node's 5 s server default) */
  keepAliveTimeoutMs?: number
}

/** After the saved part, read (and drop) up to this much more to keep the connection reusable. */
const DRAIN_LIMIT = 64 * 1024
const MAX_HEADERS = 64
const MAX_HEADER_VALUE = 1024

export function createDeadline(timeoutMs: number, outer?: AbortSignal): Deadline & { clear(): void } {
  const controller = new AbortController()
  const started = performance.now()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new DestinationTimeout(timeoutMs))
  }, timeoutMs)
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal
  return {
    signal,
    timeoutMs,
    remaining: () => Math.max(1, timeoutMs - (performance.now() - started)),
    timedOut: () => timedOut,
    clear: () => clearTimeout(timer),
  }
}

export class HttpClient {
  readonly #agent: Agent

  constructor(options: HttpClientOptions) {
    const { guard } = options
    const base = buildConnector({ timeout: options.connectTimeoutMs ?? 10_000, lookup: guard.lookup })
    const connect: buildConnector.connector = (connectOptions, callback) => {
      const refusal = guard.checkHost(connectOptions.hostname)
      if (refusal) {
        callback(refusal, null)
        return
      }
      base(connectOptions, callback)
    }
    this.#agent = new Agent({
      connect,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
      pipelining: 1,
    })
  }

  async send(request: HttpRequest): Promise<HttpResult> {
    const started = performance.now()
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000
    const { deadline } = request
    const url = new URL(request.url)
    try {
      const response = await this.#agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method as Dispatcher.HttpMethod,
        headers: request.headers,
        body: request.body && request.body.length > 0 ? request.body : undefined,
        signal: deadline.signal,
        headersTimeout: deadline.remaining(),
        bodyTimeout: deadline.remaining(),
      })
      const headers = flattenHeaders(response.headers)
      const { bytes, truncated } = await readCapped(response.body, request.responseBodyBytes)
      const saved: SavedResponse = {
        status: response.statusCode,
        durationMs: elapsed(),
        headers: savedHeaders(headers),
        ...encodeBody(bytes, truncated),
        truncated,
      }
      return { kind: 'response', status: response.statusCode, headers, bodyBytes: bytes, saved }
    } catch (thrown) {
      return {
        kind: 'error',
        error: describeError(thrown, deadline),
        saved: { status: null, durationMs: elapsed() },
      }
    }
  }

  async close(): Promise<void> {
    await this.#agent.close()
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function savedHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  let count = 0
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'set-cookie') continue
    if (++count > MAX_HEADERS) break
    out[name] = value.length > MAX_HEADER_VALUE ? `${value.slice(0, MAX_HEADER_VALUE)}…` : value
  }
  return out
}

async function readCapped(
  body: Dispatcher.ResponseData['body'],
  cap: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = []
  let kept = 0
  let seen = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    seen += chunk.length
    if (kept < cap) {
      const part = chunk.subarray(0, cap - kept)
      chunks.push(part)
      kept += part.length
    }
    // Past the cap, keep reading a little so the connection can be reused; then give up on it.
    if (seen > cap + DRAIN_LIMIT) {
      body.destroy()
      break
    }
  }
  return { bytes: Buffer.concat(chunks, kept), truncated: seen > kept }
}

function encodeBody(bytes: Buffer, truncated: boolean): Pick<SavedResponse, 'body' | 'bodyEncoding'> {
  if (bytes.length === 0) return { body: '', bodyEncoding: 'utf8' }
  if (isUtf8(bytes)) return { body: bytes.toString('utf8'), bodyEncoding: 'utf8' }
  // A cut through a multi-byte character is still text.
  if (truncated) {
    for (let drop = 1; drop <= 3 && drop < bytes.length; drop++) {
      const head = bytes.subarray(0, bytes.length - drop)
      if (isUtf8(head)) return { body: head.toString('utf8'), bodyEncoding: 'utf8' }
    }
  }
  return { body: bytes.toString('base64'), bodyEncoding: 'base64' }
}

const NETWORK_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset before a complete response',
  UND_ERR_SOCKET: 'the connection was closed before a complete response',
  EPIPE: 'the connection was closed while sending',
  ENOTFOUND: 'DNS: no such host',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ETIMEDOUT: 'the connection timed out',
}

/** Any failure without a response, as one of our error classes with a clear message. */
export function describeError(thrown: unknown, deadline: Deadline): Error {
  if (deadline.timedOut()) return new DestinationTimeout(deadline.timeoutMs)
  const error = coerceError(thrown)
  if (error instanceof EgressRefused || error instanceof DestinationTimeout) return error
  const code = (error as { code?: unknown }).code
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new DestinationTimeout(deadline.timeoutMs, 'waiting for response headers')
    case 'UND_ERR_BODY_TIMEOUT':
      return new DestinationTimeout(deadline.timeoutMs, 'reading the response body')
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new DestinationTimeout(deadline.timeoutMs, 'connecting')
  }
  if (deadline.signal.aborted) return coerceError(deadline.signal.reason)
  const codeText = typeof code === 'string' ? code : undefined
  const known = codeText ? NETWORK_MESSAGES[codeText] : undefined
  if (known) return new NetworkError(`${known} (${codeText})`, { code: codeText, cause: error })
  if (codeText && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(codeText)) {
    return new NetworkError(`TLS: ${error.message} (${codeText})`, { code: codeText, cause: error })
  }
  return new NetworkError(`${error.message}${codeText ? ` (${codeText})` : ''}`, {
    code: codeText,
    cause: error,
  })
}
