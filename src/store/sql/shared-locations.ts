import type { LocationStore } from '../location-store.js'
import { blockedLanes } from './blocked-lanes.js'
import { getLocation } from './get-location.js'
import { listLocations } from './list-locations.js'
import type { SqlRunner } from './runner.js'

/** The tenant reads: the same statements on both stores (one file each, this folder). */
export function sharedLocations(db: SqlRunner): LocationStore {
  return {
    listLocations: (query, limits) => listLocations(db, query, limits),
    getLocation: (id, since, limits) => getLocation(db, id, since, limits),
    blockedLanes: (tenantId, limit, budget) => blockedLanes(db, tenantId, limit, budget),
  }
}
