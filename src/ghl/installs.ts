import type { Logger } from '../observe/logger.js'
import type { GhlInstallationStore, GhlTokenOwner, GhlTokenStore } from '../store/types.js'
import type { GhlAgencyClient } from './agency-client.js'
import { GhlTokenUnavailableError } from './errors.js'
import type { GhlOAuthClient } from './oauth-client.js'
import type { GhlTokens } from './tokens.js'

/**
 * Installs: what happens when GHL redirects an installing admin back with a code
 * (`completeInstall`), and the installations registry's writes around it. The tokens go to
 * `GhlTokens` under the owner GHL's `userType` names (a Location or a Company token); the
 * installation is recorded beside them (store/installation-store.ts). An agency's bulk install
 * answers a Company token without the chosen locations: they are listed from installed-locations
 * and recorded, and their tokens are minted when first needed (location-minter.ts).
 */

export interface InstallSummary {
  userType: 'Location' | 'Company'
  ownerId: string
  /** The agency of a location; for a company, itself. */
  companyId: string | null
  bulk: boolean
  /** A bulk install's locations recorded (at most `maxLocationPages` pages of 100). */
  locations: string[]
  /** False when the list could not be read to its end (GHL failed, or more than the pages allowed). */
  locationsComplete: boolean
}

export interface GhlInstallsOptions {
  store: GhlInstallationStore & Pick<GhlTokenStore, 'getGhlToken'>
  tokens: GhlTokens
  oauth: Pick<GhlOAuthClient, 'exchangeCode'>
  agency: Pick<GhlAgencyClient, 'installedLocations'>
  appId: string
  logger: Logger
  /** @default Date.now */
  now?: () => number
  /** Installed-locations pages (100 each) read at a bulk install. @default 100 */
  maxLocationPages?: number
}

const PAGE = 100

export class GhlInstalls {
  readonly #o: GhlInstallsOptions & { now: () => number; maxLocationPages: number }

  constructor(options: GhlInstallsOptions) {
    this.#o = {
      ...options,
      now: options.now ?? Date.now,
      maxLocationPages: options.maxLocationPages ?? 100,
    }
  }

  owner(userType: 'Location' | 'Company', ownerId: string): GhlTokenOwner {
    return { appId: this.#o.appId, userType, ownerId }
  }

  /**
   * Exchanges the code, stores the tokens by `userType`, records the installation (and a bulk
   * install's locations). Throws what the token endpoint throws (oauth-client.ts).
   */
  async completeInstall(code: string, redirectUri: string | undefined): Promise<InstallSummary> {
    const { oauth, tokens, store, logger } = this.#o
    const grant = await oauth.exchangeCode(code, { redirectUri })
    const ownerId = grant.userType === 'Company' ? grant.companyId : grant.locationId
    if (!ownerId) {
      throw new GhlTokenUnavailableError(
        `GHL's answer to the code exchange named no ${grant.userType === 'Company' ? 'companyId' : 'locationId'}`,
      )
    }
    const owner = this.owner(grant.userType, ownerId)
    const companyId = grant.userType === 'Company' ? ownerId : (grant.companyId ?? null)
    const bulk = grant.userType === 'Company' && grant.isBulkInstallation === true
    await tokens.saveGrant(owner, grant, grant.userType === 'Location' ? companyId : null)
    await store.recordGhlInstall(owner, { companyId, bulk }, this.#o.now())
    logger.info(
      { userType: owner.userType, ownerId, companyId, bulk },
      `the GHL app was installed on ${describe(owner)}`,
    )
    const summary: InstallSummary = {
      userType: owner.userType,
      ownerId,
      companyId,
      bulk,
      locations: [],
      locationsComplete: true,
    }
    if (bulk) {
      // Filled as pages are recorded, so a listing that fails half-way still says what it recorded.
      const recorded: string[] = []
      summary.locations = recorded
      summary.locationsComplete = await this.recordCompanyLocations(ownerId, recorded).catch(
        (error: unknown) => {
          // The install itself stands; the locations' AppInstall webhooks record them too.
          logger.warn({ err: error, companyId: ownerId }, 'listing the locations of a bulk install failed')
          return false
        },
      )
    }
    return summary
  }

  /**
   * Records every location GHL lists as installed for the company (bounded pages), pushing each to
   * `locations` as it is recorded; true when GHL said there were no more.
   */
  async recordCompanyLocations(companyId: string, locations: string[] = []): Promise<boolean> {
    const { agency, tokens, store } = this.#o
    const companyToken = await tokens.accessToken(this.owner('Company', companyId))
    for (let page = 0; page < this.#o.maxLocationPages; page++) {
      const { locationIds, more } = await agency.installedLocations(companyToken, companyId, {
        skip: page * PAGE,
        limit: PAGE,
      })
      for (const locationId of locationIds) {
        await store.recordGhlInstall(
          this.owner('Location', locationId),
          { companyId, bulk: true },
          this.#o.now(),
        )
        locations.push(locationId)
      }
      if (!more) return true
    }
    return false
  }
}

export function describe(owner: GhlTokenOwner): string {
  return `${owner.userType.toLowerCase()} ${owner.ownerId}`
}
