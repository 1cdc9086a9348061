import type { TenantStats, TenantStatsLimits } from '../location-store.js'
import type { SqlRunner } from './runner.js'
import { TENANT_STATS_LIMITS, tenantStats } from './tenant-stats.js'

/**
 * One id's numbers as a location and as a company, keeping the kinds it has stored events under
 * (a GHL id is one or the other; both are asked because the caller does not say which). Two
 * tenants' worth of sql/tenant-stats.ts: bounded the same way.
 */
export async function getLocation(
  db: SqlRunner,
  id: string,
  since: number,
  limits: Partial<TenantStatsLimits> = {},
): Promise<TenantStats[]> {
  const both = await tenantStats(
    db,
    [
      { kind: 'location', id },
      { kind: 'company', id },
    ],
    since,
    { ...TENANT_STATS_LIMITS, ...limits },
  )
  return both.filter((stats) => stats.lastSeenAt !== null)
}
