import { Agent, request } from 'undici'
import { z } from 'zod'
import type { GhlUserType } from '../store/types.js'
import { GhlOAuthRejectedError, GhlReauthRequiredError, GhlTokenUnavailableError } from './errors.js'

/**
 * GHL's token endpoint (`POST /oauth/token`, form-encoded, v2 field names), on its own undici Agent.
 * Three ways it can end besides a grant, and what each means for the pair at GHL:
 * - `GhlReauthRequiredError`: GHL said `invalid_grant` — the refresh token (or code) is dead.
 * - `GhlOAuthRejectedError`: another 4xx — our settings are wrong; GHL rotated nothing.
 * - `GhlTokenUnavailableError`: a timeout, a network error, a 5xx or 429 — GHL may or may not have
 *   rotated the pair (`mayHaveRotated`), so the caller keeps the old refresh token to try again
 *   within GHL's 30 s.
 */

/** What GHL answers to a code exchange or a refresh (fields this engine uses; the rest is kept in `raw`). */
export interface GhlGrant {
  accessToken: string
  refreshToken: string
  /** Seconds (GHL: 86399). */
  expiresIn: number
  scope: string
  userType: GhlUserType
  locationId: string | undefined
  companyId: string | undefined
  /** A Company grant from an agency's bulk install: its locations come from installed-locations. */
  isBulkInstallation?: boolean
}

const grantSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
  userType: z.enum(['Location', 'Company']).optional(),
  locationId: z.string().optional(),
  companyId: z.string().optional(),
  isBulkInstallation: z.boolean().optional().catch(undefined),
})

export interface GhlOAuthClientOptions {
  apiUrl: string
  clientId: string
  clientSecret: string
  /** The whole request, answer included. @default 8000 (shorter than the refresh lease) */
  timeoutMs?: number
}

export interface GhlOAuthClient {
  readonly timeoutMs: number
  refresh(refreshToken: string, userType: GhlUserType): Promise<GhlGrant>
  exchangeCode(code: string, options: { userType?: GhlUserType; redirectUri?: string }): Promise<GhlGrant>
  close(): Promise<void>
}

export function createGhlOAuthClient(options: GhlOAuthClientOptions): GhlOAuthClient {
  const timeoutMs = options.timeoutMs ?? 8000
  const agent = new Agent({ keepAliveTimeout: 4000, connect: { timeout: timeoutMs } })
  const url = `${options.apiUrl}/oauth/token`

  async function post(fields: Record<string, string | undefined>, what: string): Promise<GhlGrant> {
    const form = new URLSearchParams({ client_id: options.clientId, client_secret: options.clientSecret })
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.set(name, value)
    let status: number
    let text: string
    try {
      const answer = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      })
      status = answer.statusCode
      text = await answer.body.text()
    } catch (error) {
      throw new GhlTokenUnavailableError(
        `${what}: GHL's token endpoint did not answer within ${timeoutMs} ms or the connection failed`,
        {
          cause: error,
        },
      )
    }
    const body = parseJson(text)
    if (status >= 200 && status < 300) {
      const grant = grantSchema.safeParse(body)
      if (!grant.success) {
        // A 2xx we cannot read may still have rotated the pair: treated like no answer.
        throw new GhlTokenUnavailableError(`${what}: GHL answered ${status} without a token pair`)
      }
      const g = grant.data
      return {
        accessToken: g.access_token,
        refreshToken: g.refresh_token,
        expiresIn: g.expires_in,
        scope: g.scope ?? '',
        userType: g.userType ?? (fields.user_type === 'Company' ? 'Company' : 'Location'),
        locationId: g.locationId,
        companyId: g.companyId,
        isBulkInstallation: g.isBulkInstallation,
      }
    }
    const error = errorCode(body)
    const said = describe(body)
    if (status >= 500 || status === 429) {
      throw new GhlTokenUnavailableError(`${what}: GHL answered ${status}${said}`)
    }
    if (error === 'invalid_grant')
      throw new GhlReauthRequiredError(`${what}: GHL answered ${status} invalid_grant${said}`)
    throw new GhlOAuthRejectedError(
      `${what}: GHL answered ${status}${said}; check GHL_CLIENT_ID, GHL_CLIENT_SECRET and the app's settings`,
      status,
      error,
    )
  }

  return {
    timeoutMs,
    refresh: (refreshToken, userType) =>
      post(
        { grant_type: 'refresh_token', refresh_token: refreshToken, user_type: userType },
        'refreshing a token',
      ),
    exchangeCode: (code, { userType, redirectUri }) =>
      post(
        { grant_type: 'authorization_code', code, user_type: userType, redirect_uri: redirectUri },
        'exchanging an authorization code',
      ),
    close: () => agent.close(),
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** OAuth's `error` field (RFC 6749 §5.2), when the body has one. */
function errorCode(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | undefined)?.error
  return typeof error === 'string' ? error : undefined
}

/** GHL's own words, shortened, for the log line: an error body carries no token. */
function describe(body: unknown): string {
  const b = body as { error?: unknown; error_description?: unknown; message?: unknown } | undefined
  const words = [b?.error, b?.error_description ?? b?.message].filter(
    (w) => typeof w === 'string',
  ) as string[]
  return words.length ? ` (${words.join(': ').slice(0, 200)})` : ''
}
