import type { GhlTokenOwner, GhlTokenStatus } from './ghl-token-store.js'
import type { Page } from './page.js'

/**
 * Where the GHL app is installed (table `ghl_installations`): one row per app and location or
 * company, keyed like its token row (`GhlTokenOwner`). The token's state is never copied here: a
 * read joins `ghl_tokens`, so "needs re-auth" has one home.
 *
 * Life of a row, and every transition:
 * - (none) → installed: a code exchange (`/oauth/callback`), a bulk install's installed-locations
 *   page, or an AppInstall webhook records it (`recordGhlInstall`).
 * - installed → installed: recorded again (the webhook after the callback): `installed_at` and the
 *   bulk flag stay; a parent company GHL names now is kept.
 * - installed → uninstalled: AppUninstall (`uninstallGhlInstallation`), or an agency uninstall for the
 *   company and every location of it (`uninstallGhlCompany`); `uninstalled_at` is set.
 * - uninstalled → installed: installed again: `installed_at` is the new install's, `uninstalled_at` NULL.
 * The tenant id survives every transition: it is the user's mapping, not GHL's state.
 */

export type GhlInstallationStatus = 'installed' | 'uninstalled'

/** The token of an installation, as the admin API may show it: never the token itself. */
export interface GhlInstallationToken {
  status: GhlTokenStatus
  statusReason: string | null
  scopes: string
  expiresAt: number | null
  refreshedAt: number | null
}

export interface GhlInstallation extends GhlTokenOwner {
  /** The agency: a location's parent (null when GHL did not say), a company's own id. */
  companyId: string | null
  installedAt: number
  /** null while installed. */
  uninstalledAt: number | null
  /** Installed through an agency's bulk install (its locations come from installed-locations). */
  bulk: boolean
  /** The location's id in the user's own system (`PATCH /api/installs/location/:id`). */
  tenantId: string | null
  updatedAt: number
  /** Its row in ghl_tokens; null when no token is stored (yet). */
  token: GhlInstallationToken | null
}

export interface GhlInstallationQuery {
  appId: string
  limit: number
  /** Opaque, from the previous page's `nextCursor`. */
  cursor?: string
  status?: GhlInstallationStatus
  /** Only installations whose token GHL refused (`needs_reauth`). */
  needsReauth?: boolean
  /** Only this company and its locations. */
  companyId?: string
}

export interface GhlInstallationStore {
  /** Records an install (see the transitions above); returns the row as it is now. */
  recordGhlInstall(
    owner: GhlTokenOwner,
    install: {
      companyId: string | null
      bulk: boolean
      /**
       * News from this time (an AppInstall's receive time): an uninstall recorded after it wins and
       * the row is left as it is — checked in the same statement, so a concurrent uninstall cannot
       * slip between a read and this write.
       */
      asOf?: number
    },
    now: number,
  ): Promise<GhlInstallation>
  getGhlInstallation(owner: GhlTokenOwner): Promise<GhlInstallation | undefined>
  /** Companies, then locations, each in id order, `limit` at a time; bounded work per page. */
  listGhlInstallations(query: GhlInstallationQuery): Promise<Page<GhlInstallation>>
  /** Marks one installation uninstalled; false when there is none or it already was. */
  uninstallGhlInstallation(owner: GhlTokenOwner, now: number): Promise<boolean>
  /** An agency uninstall: the company's row and every location row of it; how many changed. */
  uninstallGhlCompany(appId: string, companyId: string, now: number): Promise<number>
  /**
   * An agency uninstall's tokens: the Company token and every Location token whose parent is the
   * company become `revoked` (a refresh in flight saves nothing over it); how many changed.
   */
  revokeGhlCompanyTokens(appId: string, companyId: string, reason: string, now: number): Promise<number>
  /** Sets (or, with null, clears) a location's tenant id; undefined when it has no installation. */
  setGhlInstallationTenant(
    owner: GhlTokenOwner,
    tenantId: string | null,
    now: number,
  ): Promise<GhlInstallation | undefined>
  /**
   * What every process keeps in memory for the hot paths (uninstalled locations, tenant ids):
   * the locations that are uninstalled or have a tenant id, at most `limit`.
   */
  ghlLocationFacts(
    appId: string,
    limit: number,
  ): Promise<{ locationId: string; uninstalled: boolean; tenantId: string | null }[]>
}
