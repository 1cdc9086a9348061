import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { TypeMapper } from '../catalog/index.js'
import { GatewayError } from '../errors.js'
import type { BlockedLane, Store, TenantStats } from '../store/types.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import {
  BLOCKED_LANES_SHOWN,
  type BlockedLaneJson,
  LOCATION_WINDOWS,
  type LocationJson,
  type LocationWindow,
  locationsRoutesSchema as schema,
} from './schemas/locations.js'

export interface LocationsRoutesOptions {
  store: Store
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  types: TypeMapper
  now?: () => number
}

const iso = (ms: number) => new Date(ms).toISOString()

export function locationJson(stats: TenantStats): LocationJson {
  return {
    kind: stats.kind,
    id: stats.id,
    volume: stats.volume,
    volumeCapped: stats.volumeCapped,
    lastSeenAt: stats.lastSeenAt === null ? null : iso(stats.lastSeenAt),
    lastEventId: stats.lastEventId,
    errorRate: stats.sampledDeliveries === 0 ? null : stats.failedDeliveries / stats.sampledDeliveries,
    sampledEvents: stats.sampledEvents,
    sampledDeliveries: stats.sampledDeliveries,
    failedDeliveries: stats.failedDeliveries,
  }
}

function laneJson(lane: BlockedLane, types: TypeMapper): BlockedLaneJson {
  return {
    subscriber: lane.subscriberId,
    orderingKey: lane.orderingKey,
    entity: { kind: lane.entityKind, id: lane.entityId },
    deliveryId: lane.deliveryId,
    eventId: lane.eventId,
    type: lane.eventType === null ? null : types.toType(lane.eventType),
    name: lane.eventName,
    state: lane.state,
    attempts: lane.attempts,
    lastError: lane.lastError,
    nextAttemptAt: iso(lane.nextAttemptAt),
    failingSince: lane.failingSince === null ? null : iso(lane.failingSince),
    waiting: lane.waiting,
    waitingCapped: lane.waitingCapped,
  }
}

/**
 * GET /api/locations (the GHL tenants the stored events name, paged by id) and
 * GET /api/locations/:id (one tenant's numbers and its blocked ordered lanes) — behind the admin token.
 */
export async function locationsRoutes(app: FastifyInstance, options: LocationsRoutesOptions): Promise<void> {
  const { store, types } = options
  const now = options.now ?? Date.now
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  const windowOf = (name: LocationWindow) => {
    const since = now() - LOCATION_WINDOWS[name]
    return { since, json: { name, since: iso(since) } }
  }

  api.get('/api/locations', { schema: schema.list }, async (request) => {
    const { window, from, limit, cursor } = request.query
    const { since, json } = windowOf(window)
    const page = await store.listLocations({ since, limit, from, cursor })
    return { data: page.items.map(locationJson), nextCursor: page.nextCursor, window: json }
  })

  api.get('/api/locations/:id', { schema: schema.get }, async (request) => {
    const { id } = request.params
    const { since, json } = windowOf(request.query.window)
    const [kinds, blocked] = await Promise.all([
      store.getLocation(id, since),
      store.blockedLanes(id, BLOCKED_LANES_SHOWN),
    ])
    if (kinds.length === 0) {
      throw new GatewayError(
        'not_found',
        `no stored event names location or company ${id}; GET /api/locations lists the ones seen`,
      )
    }
    return {
      id,
      window: json,
      as: kinds.map(locationJson),
      blockedLanes: blocked.lanes.map((lane) => laneJson(lane, types)),
      blockedLanesTruncated: blocked.truncated,
    }
  })
}
