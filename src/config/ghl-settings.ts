import type { TokenKeyRing } from '../ghl/token-keys.js'
import { PRIVATE_TOKEN_APP_ID } from '../store/ghl-token-store.js'
import type { EnvConfig } from './env.js'

/** The GHL app's settings, once they are known to belong together (`ghlSettingProblems`). */
export interface GhlAppSettings {
  /** GHL_APP_ID, else the part of GHL_CLIENT_ID before its first "-" (what GHL puts in `appId`). */
  appId: string
  clientId: string
  clientSecret: string
  apiUrl: string
  redirectUri: string | undefined
  keys: TokenKeyRing
  /** GHL_SCOPES, space-separated; undefined: `/oauth/install` is not configured. */
  scopes: string | undefined
  marketplaceUrl: string
}

/**
 * Settings that are each valid but do not go together, as sentences. The client id and secret come
 * as a pair, and tokens are never stored in clear, so an app needs GHL_TOKEN_KEY.
 */
export function ghlSettingProblems(env: EnvConfig): string[] {
  const problems: string[] = []
  const app = 'the Client Keys of your app in GHL’s marketplace (Advanced Settings → Auth)'
  if (env.GHL_CLIENT_ID && !env.GHL_CLIENT_SECRET) {
    problems.push(
      `GHL_CLIENT_SECRET is missing: GHL_CLIENT_ID and GHL_CLIENT_SECRET are set together, from ${app}`,
    )
  }
  if (env.GHL_CLIENT_SECRET && !env.GHL_CLIENT_ID) {
    problems.push(
      `GHL_CLIENT_ID is missing: GHL_CLIENT_ID and GHL_CLIENT_SECRET are set together, from ${app}`,
    )
  }
  const keyMissing =
    'GHL tokens are stored encrypted; set it to 32 random bytes in base64 (`openssl rand -base64 32`) and keep it as safe as the database'
  if (env.GHL_CLIENT_ID && !env.GHL_TOKEN_KEY) problems.push(`GHL_TOKEN_KEY is missing: ${keyMissing}`)
  if (env.GHL_PRIVATE_TOKEN && !env.GHL_TOKEN_KEY) {
    problems.push(
      `GHL_TOKEN_KEY is missing: GHL_PRIVATE_TOKEN is stored like every GHL token, and ${keyMissing}`,
    )
  }
  const pit =
    'the Private Integration Token of one location (GHL: Settings → Private Integrations) and that location’s id'
  if (env.GHL_PRIVATE_TOKEN && !env.GHL_PRIVATE_TOKEN_LOCATION_ID) {
    problems.push(
      `GHL_PRIVATE_TOKEN_LOCATION_ID is missing: GHL_PRIVATE_TOKEN and it are set together, ${pit}`,
    )
  }
  if (env.GHL_PRIVATE_TOKEN_LOCATION_ID && !env.GHL_PRIVATE_TOKEN) {
    problems.push(
      `GHL_PRIVATE_TOKEN is missing: GHL_PRIVATE_TOKEN_LOCATION_ID and it are set together, ${pit}`,
    )
  }
  if (env.GHL_CLIENT_ID && appIdOf(env) === PRIVATE_TOKEN_APP_ID) {
    problems.push(
      `the GHL app id "${PRIVATE_TOKEN_APP_ID}" is reserved for Private Integration Tokens; set GHL_APP_ID to your app's id`,
    )
  }
  return problems
}

function appIdOf(env: EnvConfig): string | undefined {
  return env.GHL_APP_ID ?? env.GHL_CLIENT_ID?.split('-')[0]
}

/**
 * What the token engine (src/ghl/tokens.ts) is built from: present whenever GHL_TOKEN_KEY is set — an
 * OAuth app, Private Integration Tokens (from the environment or set over the API), or both.
 */
export interface GhlTokenSettings {
  /** The app's id, or `private` when no app is configured (the PIT rows' app id). */
  appId: string
  keys: TokenKeyRing
  /** The OAuth app, when GHL_CLIENT_ID is set. */
  app: GhlAppSettings | undefined
  /** GHL_PRIVATE_TOKEN and its location. */
  envPrivateToken: { locationId: string; token: string } | undefined
  refreshIdleMs: number
}

/** The token engine's settings, or undefined without GHL_TOKEN_KEY (no token can be stored). */
export function ghlTokenSettings(env: EnvConfig): GhlTokenSettings | undefined {
  if (!env.GHL_TOKEN_KEY) return undefined
  const app = ghlAppSettings(env)
  return {
    appId: app?.appId ?? PRIVATE_TOKEN_APP_ID,
    keys: env.GHL_TOKEN_KEY,
    app,
    envPrivateToken:
      env.GHL_PRIVATE_TOKEN && env.GHL_PRIVATE_TOKEN_LOCATION_ID
        ? { locationId: env.GHL_PRIVATE_TOKEN_LOCATION_ID, token: env.GHL_PRIVATE_TOKEN }
        : undefined,
    refreshIdleMs: env.GHL_REFRESH_TOKEN_MAX_IDLE,
  }
}

/** The app's settings, or undefined when no GHL app is configured (GHL_CLIENT_ID unset). */
export function ghlAppSettings(env: EnvConfig): GhlAppSettings | undefined {
  if (!env.GHL_CLIENT_ID || !env.GHL_CLIENT_SECRET || !env.GHL_TOKEN_KEY) return undefined
  return {
    appId: appIdOf(env)!,
    clientId: env.GHL_CLIENT_ID,
    clientSecret: env.GHL_CLIENT_SECRET,
    apiUrl: env.GHL_API_URL,
    redirectUri: env.GHL_REDIRECT_URI,
    keys: env.GHL_TOKEN_KEY,
    scopes: env.GHL_SCOPES,
    marketplaceUrl: env.GHL_MARKETPLACE_URL,
  }
}
