import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { diffBodies } from '../catalog/body-diff.js'
import type { TypeMapper } from '../catalog/index.js'
import { parseStoredBody } from '../catalog/parse-body.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js'
import { decodeCursor, encodeCursor } from '../store/cursor.js'
import type { Store, StoredEvent } from '../store/types.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import { summaryJson } from './events-routes.js'
import { entitiesRoutesSchema as schema, type TimelineItemJson } from './schemas/entities.js'

export interface EntitiesRoutesOptions {
  store: Store
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  types: TypeMapper
}

/** A body that can be compared field by field, or why not. */
function comparable(event: StoredEvent): { body: unknown } | { note: string } {
  const body = parseStoredBody(event)
  if (body === null || typeof body !== 'object') return { note: `event ${event.id}'s body is not JSON` }
  // Recursion below would overflow on such a body (stored before ingest refused them).
  if (nestsDeeperThan(body, MAX_JSON_DEPTH))
    return { note: `event ${event.id}'s body nests too deep to compare` }
  return { body }
}

/** Each event with what changed since the one before it (`previous`: the event before the page). */
function withDiffs(
  previous: StoredEvent | undefined,
  events: StoredEvent[],
  types: TypeMapper,
): TimelineItemJson[] {
  let before = previous && comparable(previous)
  return events.map((event) => {
    const after = comparable(event)
    const item: TimelineItemJson = { event: summaryJson(event, types), diff: null, diffNote: null }
    if (before === undefined) item.diffNote = 'the first event of this entity the gateway has'
    else if ('note' in before) item.diffNote = before.note
    else if ('note' in after) item.diffNote = after.note
    else item.diff = diffBodies(before.body, after.body)
    before = after
    return item
  })
}

/**
 * GET /api/entities/:kind/:id/timeline — behind the admin token. One entity's events in receive
 * order with a field-level diff between consecutive bodies (catalog/body-diff.ts, bounded). A page
 * reads at most `limit + 2` events: the one before it (to compare its first event with), the page,
 * and one more to know whether a next page exists.
 */
export async function entitiesRoutes(app: FastifyInstance, options: EntitiesRoutesOptions): Promise<void> {
  const { store, types } = options
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  api.get('/api/entities/:kind/:id/timeline', { schema: schema.timeline }, async (request) => {
    const { kind, id } = request.params
    const { limit, cursor } = request.query
    // The cursor is the seq of the last event shown: read from it again, to compare the next one with it.
    const fromSeq = cursor === undefined ? undefined : decodeCursor(cursor)
    const rows = await store.entityEvents({ entityKind: kind, entityId: id, fromSeq, limit: limit + 2 })
    const previous = fromSeq !== undefined && rows[0]?.seq === fromSeq ? rows.shift() : undefined
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    return {
      entity: { kind, id },
      data: withDiffs(previous, page, types),
      nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null,
    }
  })
}
