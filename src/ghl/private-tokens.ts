import type { Logger } from '../observe/logger.js'
import {
  type GhlTokenOwner,
  type GhlTokenStore,
  type GhlUserType,
  PRIVATE_TOKEN_APP_ID,
} from '../store/ghl-token-store.js'
import { decryptToken, encryptToken } from './token-cipher.js'
import type { TokenKeyRing } from './token-keys.js'

/**
 * Private Integration Tokens (PITs): static bearer tokens a GHL sub-account or agency creates for its
 * own tools (Settings → Private Integrations), sent exactly like an OAuth access token. They are
 * rows of `ghl_tokens` like OAuth tokens — encrypted with GHL_TOKEN_KEY, the row named in the
 * cipher's associated data — under the app id `private` (they belong to no marketplace app, so a
 * gateway with only PITs needs no GHL_CLIENT_ID, and a later GHL_APP_ID change does not strand
 * them), with no refresh token and no expiry. GHL refusing one (401) makes it `needs_reauth` (see
 * `GhlTokens.invalidate`): a person creates a new token in GHL and sets it again.
 */

/** The longest token accepted: GHL's PITs are about 40 characters (`pit-` and a UUID). */
export const PRIVATE_TOKEN_MAX_LENGTH = 2048
/** A bearer token: visible ASCII, no spaces (RFC 6750's b64token is stricter; GHL's fit both). */
const BEARER = /^[\x21-\x7e]+$/

/** What is wrong with a token, as a sentence that never quotes it; undefined when it will do. */
export function privateTokenProblem(token: string, what = 'the token'): string | undefined {
  if (token.length === 0)
    return `${what} is empty; paste the token GHL showed when the integration was created`
  if (token.length > PRIVATE_TOKEN_MAX_LENGTH)
    return `${what} is ${token.length} characters long, more than ${PRIVATE_TOKEN_MAX_LENGTH}: it is not one token`
  if (!BEARER.test(token))
    return `${what} contains spaces, line breaks or characters outside ASCII; paste only the token`
  return undefined
}

/** The owner of a location's (`Location`) or an agency's (`Company`) Private Integration Token. */
export function privateTokenOwner(userType: GhlUserType, ownerId: string): GhlTokenOwner {
  return { appId: PRIVATE_TOKEN_APP_ID, userType, ownerId }
}

export function isPrivateToken(owner: GhlTokenOwner): boolean {
  return owner.appId === PRIVATE_TOKEN_APP_ID
}

/** Why a refused PIT needs a person, and what they do: the row's status reason and the error. */
export function privateTokenRefused(owner: GhlTokenOwner): string {
  const kind = owner.userType === 'Location' ? 'location' : 'company'
  return `GHL refused the Private Integration Token of ${kind} ${owner.ownerId} (401): create a new token in GHL (Settings → Private Integrations) and set it again (ghl-gateway ghl private-token set ${kind} ${owner.ownerId})`
}

/** Stores a PIT, encrypted with the current key; the row becomes active. `created`: there was none. */
export async function storePrivateToken(
  store: GhlTokenStore,
  keys: TokenKeyRing,
  owner: GhlTokenOwner,
  token: string,
  now: number,
): Promise<{ created: boolean }> {
  const key = keys.current
  const row = await store.putGhlToken(
    owner,
    {
      keyId: key.id,
      accessToken: encryptToken(token, owner, 'access', key),
      refreshToken: null,
      expiresAt: null,
      scopes: '',
      companyId: null,
    },
    now,
  )
  return { created: row.version === 1 }
}

/**
 * GHL_PRIVATE_TOKEN at boot: stored like one set over the API, so its status (a 401 makes it
 * needs_reauth) is shared by every process and seen by doctor and the console. Written only when the
 * stored one differs (or there is none): a restart does not make a refused token active again, a
 * new token in the environment does.
 */
export async function storeEnvPrivateToken(
  store: GhlTokenStore,
  keys: TokenKeyRing,
  locationId: string,
  token: string,
  logger: Logger,
  now: number,
): Promise<void> {
  const owner = privateTokenOwner('Location', locationId)
  const row = await store.getGhlToken(owner)
  const same = row !== undefined && decryptToken(row.accessToken, owner, 'access', row.keyId, keys) === token
  if (!same) {
    await storePrivateToken(store, keys, owner, token, now)
    logger.info(
      { locationId },
      `stored the Private Integration Token of location ${locationId} from GHL_PRIVATE_TOKEN`,
    )
  } else if (row.status !== 'active') {
    logger.warn(
      { locationId, status: row.status },
      `GHL_PRIVATE_TOKEN is ${row.status}: ${row.statusReason ?? 'GHL refused it'}; put the new token in GHL_PRIVATE_TOKEN`,
    )
  }
}
