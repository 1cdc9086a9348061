import { existsSync } from 'node:fs'
import type { GatewayConfig } from '../../config/index.js'
import { coerceError } from '../../errors.js'
import { REAUTH_NAMED } from '../../ghl/reauth-report.js'
import { PRIVATE_TOKEN_APP_ID } from '../../store/ghl-token-store.js'
import { openStore } from '../../store/open-store.js'
import type { Check } from './check.js'
import { sqlitePath } from './system-checks.js'

/**
 * Doctor: GHL tokens that need a person — the app installed again on a location whose refresh token
 * GHL refused, or a new Private Integration Token where GHL refused the old one. A warning, not a
 * failure: the gateway runs, and only those locations' GHL calls fail.
 */
export async function checkGhlTokens(config: GatewayConfig, cwd: string): Promise<Check[]> {
  const file = sqlitePath(config.DATABASE_URL, cwd)
  if (file && !existsSync(file)) return []
  const store = openStore({ url: config.DATABASE_URL, durability: config.DURABILITY, poolSize: 1 })
  try {
    const counts = await store.countGhlTokensByStatus()
    const total = counts.active + counts.needs_reauth + counts.revoked
    if (total === 0) return []
    if (counts.needs_reauth === 0) {
      return [
        { name: 'ghl tokens', status: 'ok', message: `${counts.active} active, none needs re-authorising` },
      ]
    }
    const page = await store.listGhlTokens({ status: 'needs_reauth', limit: REAUTH_NAMED })
    const named = page.items.map(
      (row) =>
        `${row.userType.toLowerCase()} ${row.ownerId}${row.appId === PRIVATE_TOKEN_APP_ID ? ' (private token)' : ''}`,
    )
    const more = counts.needs_reauth - named.length
    const n = counts.needs_reauth
    return [
      {
        name: 'ghl tokens',
        status: 'warn',
        message: `${n} GHL token${n === 1 ? ' needs' : 's need'} re-authorising: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}; their GHL calls fail until then`,
        fix: 'install the app again on each of those locations (or companies); for a private token, create a new one in GHL (Settings → Private Integrations) and run `ghl-gateway ghl private-token set <location|company> <id>`. `curl -H "Authorization: Bearer $ADMIN_TOKEN" <gateway>/api/ghl/tokens?status=needs_reauth` lists them all with the reason',
      },
    ]
  } catch (error) {
    // The database check says what is wrong with the database itself (e.g. not migrated yet).
    return [{ name: 'ghl tokens', status: 'info', message: `not checked: ${coerceError(error).message}` }]
  } finally {
    await store.close().catch(() => {})
  }
}
