import type { TokenKeyRing } from '../ghl/token-keys.js'
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
  if (env.GHL_CLIENT_ID && !env.GHL_TOKEN_KEY) {
    problems.push(
      'GHL_TOKEN_KEY is missing: GHL tokens are stored encrypted; set it to 32 random bytes in base64 (`openssl rand -base64 32`) and keep it as safe as the database',
    )
  }
  return problems
}

/** The app's settings, or undefined when no GHL app is configured (GHL_CLIENT_ID unset). */
export function ghlAppSettings(env: EnvConfig): GhlAppSettings | undefined {
  if (!env.GHL_CLIENT_ID || !env.GHL_CLIENT_SECRET || !env.GHL_TOKEN_KEY) return undefined
  return {
    appId: env.GHL_APP_ID ?? env.GHL_CLIENT_ID.split('-')[0]!,
    clientId: env.GHL_CLIENT_ID,
    clientSecret: env.GHL_CLIENT_SECRET,
    apiUrl: env.GHL_API_URL,
    redirectUri: env.GHL_REDIRECT_URI,
    keys: env.GHL_TOKEN_KEY,
    scopes: env.GHL_SCOPES,
    marketplaceUrl: env.GHL_MARKETPLACE_URL,
  }
}
