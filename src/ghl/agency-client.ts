import { Agent, request } from 'undici'
import { z } from 'zod'
import type { GhlTokenOwner } from '../store/types.js'
import { GhlNotInstalledError, GhlReauthRequiredError, GhlTokenUnavailableError } from './errors.js'
import type { GhlRateLimiter } from './rate-limiter.js'

/**
 * The two calls an agency (Company) token makes for installs (GHL's apps/oauth.json, v2 paths,
 * `Version: 2021-07-28`):
 * - `POST /oauth/locationToken` (form `companyId`, `locationId`): a Location token minted from the
 *   Company token. v2 answers no refresh token: a minted token is minted again when it expires.
 * - `GET /oauth/installedLocations?companyId&appId&isInstalled=true&skip&limit`: the locations of a
 *   bulk install, which the code exchange does not list.
 * Both count against the company's limits (`limiter`, owner = the company).
 * How they end besides an answer: `GhlReauthRequiredError` (401: the company token is refused),
 * `GhlNotInstalledError` (400/404/422: GHL says the app is not installed on that location for that
 * company), `GhlTokenUnavailableError` (timeout, network, 429, 5xx: try again later).
 */

const VERSION = '2021-07-28'

const locationTokenSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.coerce.number().positive(),
  scope: z.string().optional(),
  locationId: z.string().optional(),
})

const installedLocationsSchema = z.looseObject({
  locations: z.array(z.looseObject({ _id: z.string().min(1), isInstalled: z.boolean().optional() })),
  count: z.number().optional(),
})

/** A Location token minted by an agency token: `refreshToken` null when GHL sent none (v2). */
export interface MintedLocationToken {
  accessToken: string
  refreshToken: string | null
  expiresIn: number
  scope: string
}

export interface GhlAgencyClient {
  locationToken(companyToken: string, companyId: string, locationId: string): Promise<MintedLocationToken>
  /** One page of the company's locations where the app is installed: their ids, and whether more follow. */
  installedLocations(
    companyToken: string,
    companyId: string,
    page: { skip: number; limit: number },
  ): Promise<{ locationIds: string[]; more: boolean }>
  close(): Promise<void>
}

export interface GhlAgencyClientOptions {
  apiUrl: string
  appId: string
  limiter?: GhlRateLimiter
  /** @default 8000 */
  timeoutMs?: number
}

export function createGhlAgencyClient(options: GhlAgencyClientOptions): GhlAgencyClient {
  const timeoutMs = options.timeoutMs ?? 8000
  const agent = new Agent({ keepAliveTimeout: 4000, connect: { timeout: timeoutMs } })
  const owner = (companyId: string): GhlTokenOwner => ({
    appId: options.appId,
    userType: 'Company',
    ownerId: companyId,
  })

  async function call(
    companyId: string,
    what: string,
    init: { method: 'GET' | 'POST'; path: string; token: string; form?: URLSearchParams },
  ): Promise<unknown> {
    await options.limiter?.acquire(owner(companyId))
    let status: number
    let text: string
    try {
      const answer = await request(`${options.apiUrl}${init.path}`, {
        method: init.method,
        dispatcher: agent,
        headers: {
          authorization: `Bearer ${init.token}`,
          version: VERSION,
          accept: 'application/json',
          ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: init.form?.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      })
      status = answer.statusCode
      text = await answer.body.text()
      options.limiter?.observe(owner(companyId), status, answer.headers)
    } catch (error) {
      throw new GhlTokenUnavailableError(
        `${what}: GHL did not answer within ${timeoutMs} ms or the connection failed`,
        {
          cause: error,
        },
      )
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {}
    if (status >= 200 && status < 300) return body
    const said = (body as { message?: unknown } | undefined)?.message
    const words = typeof said === 'string' ? ` (${said.slice(0, 200)})` : ''
    if (status === 401)
      throw new GhlReauthRequiredError(`${what}: GHL refused the company token (401)${words}`)
    if (status === 400 || status === 404 || status === 422 || status === 403) {
      throw new GhlNotInstalledError(`${what}: GHL answered ${status}${words}`)
    }
    throw new GhlTokenUnavailableError(`${what}: GHL answered ${status}${words}`)
  }

  return {
    async locationToken(companyToken, companyId, locationId) {
      const what = `minting a token for location ${locationId} from company ${companyId}`
      const body = await call(companyId, what, {
        method: 'POST',
        path: '/oauth/locationToken',
        token: companyToken,
        form: new URLSearchParams({ companyId, locationId }),
      })
      const parsed = locationTokenSchema.safeParse(body)
      if (!parsed.success) throw new GhlTokenUnavailableError(`${what}: GHL answered without a token`)
      return {
        accessToken: parsed.data.access_token,
        refreshToken: parsed.data.refresh_token ?? null,
        expiresIn: parsed.data.expires_in,
        scope: parsed.data.scope ?? '',
      }
    },
    async installedLocations(companyToken, companyId, page) {
      const query = new URLSearchParams({
        companyId,
        appId: options.appId,
        isInstalled: 'true',
        skip: String(page.skip),
        limit: String(page.limit),
      })
      const what = `listing the installed locations of company ${companyId}`
      const body = await call(companyId, what, {
        method: 'GET',
        path: `/oauth/installedLocations?${query}`,
        token: companyToken,
      })
      const parsed = installedLocationsSchema.safeParse(body)
      if (!parsed.success) throw new GhlTokenUnavailableError(`${what}: GHL answered without a list`)
      const locations = parsed.data.locations.filter((l) => l.isInstalled !== false).map((l) => l._id)
      const seen = page.skip + parsed.data.locations.length
      const more =
        parsed.data.count === undefined
          ? parsed.data.locations.length === page.limit
          : seen < parsed.data.count && parsed.data.locations.length > 0
      return { locationIds: locations, more }
    },
    close: () => agent.close(),
  }
}
