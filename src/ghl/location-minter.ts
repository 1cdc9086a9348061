import type { GhlInstallationStore } from '../store/types.js'
import type { GhlAgencyClient, MintedLocationToken } from './agency-client.js'
import { GhlNotInstalledError, GhlReauthRequiredError } from './errors.js'

/**
 * Location tokens minted from the agency's Company token, on demand (`GhlTokens` asks when a
 * location has no token row, or its minted token — v2 mints carry no refresh token — is about to
 * expire). Lazily rather than at install time: a bulk install of thousands of locations costs no
 * burst of mint calls, a location installed later (or whose AppInstall webhook arrived first) gets
 * its token the first time something needs it, and an expired mint is replaced the same way.
 */
export interface GhlLocationMinter {
  /**
   * A new token for the location from its company's token; undefined when no company is known for
   * it or the company has no token stored (the caller then says "not installed").
   */
  mint(
    locationId: string,
    knownCompanyId: string | null,
  ): Promise<{ token: MintedLocationToken; companyId: string } | undefined>
}

export interface GhlLocationMinterOptions {
  store: Pick<GhlInstallationStore, 'getGhlInstallation'>
  agency: Pick<GhlAgencyClient, 'locationToken'>
  appId: string
  /** A valid Company token (GhlTokens.accessToken of the company), and how to report it refused. */
  companyToken(companyId: string): Promise<string>
  invalidate(token: string): void
}

export function createGhlLocationMinter(options: GhlLocationMinterOptions): GhlLocationMinter {
  return {
    async mint(locationId, knownCompanyId) {
      const companyId =
        knownCompanyId ??
        (
          await options.store.getGhlInstallation({
            appId: options.appId,
            userType: 'Location',
            ownerId: locationId,
          })
        )?.companyId ??
        null
      if (companyId === null) return undefined
      let companyToken: string
      try {
        companyToken = await options.companyToken(companyId)
      } catch (error) {
        if (error instanceof GhlNotInstalledError) return undefined
        throw error
      }
      try {
        return { token: await options.agency.locationToken(companyToken, companyId, locationId), companyId }
      } catch (error) {
        // GHL refused the company token: its next use refreshes it (once), then the mint is retried.
        if (error instanceof GhlReauthRequiredError) options.invalidate(companyToken)
        throw error
      }
    },
  }
}
