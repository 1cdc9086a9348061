import type { GhlInstallationStore } from '../types.js'
import { getGhlInstallation } from './get-ghl-installation.js'
import { ghlLocationFacts } from './ghl-location-facts.js'
import { listGhlInstallations } from './list-ghl-installations.js'
import { recordGhlInstall } from './record-ghl-install.js'
import { revokeGhlCompanyTokens } from './revoke-ghl-company-tokens.js'
import type { SqlRunner } from './runner.js'
import { setGhlInstallationTenant } from './set-ghl-installation-tenant.js'
import { uninstallGhlCompany } from './uninstall-ghl-company.js'
import { uninstallGhlInstallation } from './uninstall-ghl-installation.js'

/** Every installation operation is one statement both stores run as written (plus a read-back). */
export function sharedInstallations(db: SqlRunner): GhlInstallationStore {
  return {
    recordGhlInstall: async (owner, install, now) => {
      await db.write(recordGhlInstall)(db, owner, install, now)
      return (await getGhlInstallation(db, owner))!
    },
    getGhlInstallation: (owner) => getGhlInstallation(db, owner),
    listGhlInstallations: (query) => listGhlInstallations(db, query),
    uninstallGhlInstallation: db.write((owner, now) => uninstallGhlInstallation(db, owner, now)),
    uninstallGhlCompany: db.write((appId, companyId, now) => uninstallGhlCompany(db, appId, companyId, now)),
    revokeGhlCompanyTokens: db.write((appId, companyId, reason, now) =>
      revokeGhlCompanyTokens(db, appId, companyId, reason, now),
    ),
    setGhlInstallationTenant: async (owner, tenantId, now) => {
      const changed = await db.write(setGhlInstallationTenant)(db, owner, tenantId, now)
      return changed ? getGhlInstallation(db, owner) : undefined
    },
    ghlLocationFacts: (appId, limit) => ghlLocationFacts(db, appId, limit),
  }
}
