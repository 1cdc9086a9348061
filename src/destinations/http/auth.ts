import { isHeaderValue } from '../headers.js'
import type { DestinationAuth } from '../schema.js'
import { statusText } from './classify-attempt.js'
import type { Deadline, HttpClient } from './client.js'
import { OAuthTokenError } from './errors.js'

/**
 * Credentials a destination sends with each request: a static header (bearer, API key, basic), or
 * an OAuth 2.0 access token from the client credentials grant (RFC 6749 §4.4), fetched when first
 * needed, cached until `expires_in` minus a margin, shared by concurrent deliveries (one token
 * request at a time), and fetched anew once when the destination answers 401.
 */
export interface Authenticator {
  headers(context: { now: number; deadline: Deadline; userAgent: string }): Promise<Record<string, string>>
  /** The destination answered 401: forget cached credentials. True when trying again may help. */
  invalidate(): boolean
}

export function createAuthenticator(
  auth: DestinationAuth | undefined,
  client: HttpClient,
): Authenticator | undefined {
  if (auth === undefined) return undefined
  switch (auth.type) {
    case 'bearer':
      return staticHeaders({ authorization: `Bearer ${auth.token}` })
    case 'apiKey':
      return staticHeaders({ [auth.header]: auth.value })
    case 'basic':
      return staticHeaders({
        authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`,
      })
    case 'oauth2':
      return new ClientCredentials(auth, client)
    default: {
      const unreachable: never = auth
      throw new Error(`unknown auth type ${(unreachable as { type: string }).type}`)
    }
  }
}

function staticHeaders(headers: Record<string, string>): Authenticator {
  return { headers: async () => headers, invalidate: () => false }
}

/** Without `expires_in`, a token is assumed to live this long. */
const ASSUMED_LIFETIME_MS = 300_000
/** Refresh this much before expiry: a tenth of the lifetime, at most a minute. */
const marginFor = (lifetimeMs: number) => Math.min(60_000, lifetimeMs / 10)

type OAuth2 = Extract<DestinationAuth, { type: 'oauth2' }>

export class ClientCredentials implements Authenticator {
  readonly #auth: OAuth2
  readonly #client: HttpClient
  #token: { value: string; refreshAt: number } | undefined
  #pending: Promise<string> | undefined
  /** Token requests made (tests and metrics read it). */
  requests = 0

  constructor(auth: OAuth2, client: HttpClient) {
    this.#auth = auth
    this.#client = client
  }

  async headers(context: {
    now: number
    deadline: Deadline
    userAgent: string
  }): Promise<Record<string, string>> {
    const token =
      this.#token && context.now < this.#token.refreshAt
        ? this.#token.value
        : await this.#fetchShared(context)
    return { authorization: `Bearer ${token}` }
  }

  invalidate(): boolean {
    this.#token = undefined
    return true
  }

  #fetchShared(context: { now: number; deadline: Deadline; userAgent: string }): Promise<string> {
    this.#pending ??= this.#fetch(context).finally(() => {
      this.#pending = undefined
    })
    return this.#pending
  }

  async #fetch(context: { now: number; deadline: Deadline; userAgent: string }): Promise<string> {
    const auth = this.#auth
    const form = new URLSearchParams({ grant_type: 'client_credentials' })
    if (auth.scope) form.set('scope', auth.scope)
    if (auth.audience) form.set('audience', auth.audience)
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      'user-agent': context.userAgent,
    }
    if (auth.clientAuth === 'basic') {
      // RFC 6749 §2.3.1: the id and secret are form-encoded before the Basic encoding.
      const pair = `${formComponent(auth.clientId)}:${formComponent(auth.clientSecret)}`
      headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`
    } else {
      form.set('client_id', auth.clientId)
      form.set('client_secret', auth.clientSecret)
    }
    this.requests++
    const origin = new URL(auth.tokenUrl).origin
    const result = await this.#client.send({
      url: auth.tokenUrl,
      method: 'POST',
      headers,
      body: Buffer.from(form.toString(), 'utf8'),
      deadline: context.deadline,
      responseBodyBytes: 64 * 1024,
    })
    if (result.kind === 'error') {
      throw new OAuthTokenError(`token request to ${origin} failed: ${result.error.message}`, {
        cause: result.error,
      })
    }
    let parsed: { access_token?: unknown; expires_in?: unknown; error?: unknown } | undefined
    try {
      parsed = JSON.parse(result.bodyBytes.toString('utf8'))
    } catch {
      parsed = undefined
    }
    if (result.status < 200 || result.status >= 300) {
      const code =
        typeof parsed?.error === 'string' && parsed.error.length <= 64 ? ` (error: ${parsed.error})` : ''
      throw new OAuthTokenError(`token endpoint ${origin} answered ${statusText(result.status)}${code}`)
    }
    if (typeof parsed?.access_token !== 'string' || parsed.access_token === '') {
      throw new OAuthTokenError(`token endpoint ${origin} answered without an access_token`)
    }
    // Sent as `Authorization: Bearer <token>`: a token with CR/LF could inject headers.
    if (!isHeaderValue(parsed.access_token)) {
      throw new OAuthTokenError(
        `token endpoint ${origin} answered an access_token that cannot be sent in a header (control or non-Latin-1 characters)`,
      )
    }
    const seconds = Number(parsed.expires_in)
    const lifetimeMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : ASSUMED_LIFETIME_MS
    this.#token = { value: parsed.access_token, refreshAt: context.now + lifetimeMs - marginFor(lifetimeMs) }
    return parsed.access_token
  }
}

function formComponent(text: string): string {
  return new URLSearchParams({ x: text }).toString().slice(2)
}
