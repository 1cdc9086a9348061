import { isUtf8 } from 'node:buffer'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { TypeMapper } from '../catalog/index.js'
import { GatewayError } from '../errors.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js'
import type { EventSummary, Store, StoredEvent } from '../store/types.js'
import { attemptCounters, attemptHistoryJson } from './attempts-json.js'
import { requireAdmin } from './auth.js'
import {
  type EventDeliveryJson,
  type EventDetailJson,
  type EventSummaryJson,
  eventsRoutesSchema as schema,
} from './schemas/events.js'

export interface EventsRoutesOptions {
  store: Store
  adminToken: string | undefined
  types: TypeMapper
}

/** The published type of a stored event: GHL canonical names go through the renames. */
export function publishedType(event: EventSummary, types: TypeMapper): string | null {
  if (event.eventType === null) return null
  return event.eventName !== null ? types.toType(event.eventType) : event.eventType
}

export function summaryJson(event: EventSummary, types: TypeMapper): EventSummaryJson {
  return {
    id: event.id,
    source: event.source,
    type: publishedType(event, types),
    name: event.eventName,
    ghlType: event.ghlType,
    entity: { kind: event.entityKind, id: event.entityId },
    tenant: { locationId: event.locationId, companyId: event.companyId },
    webhookId: event.webhookId,
    receivedAt: new Date(event.receivedAt).toISOString(),
    occurredAt: event.occurredAt,
    sentAt: event.sentAt,
    schemaStatus: event.schemaStatus,
    flags: event.flags,
    verification: event.verification,
    duplicateCount: event.duplicateCount,
    lastDuplicateAt: event.lastDuplicateAt === null ? null : new Date(event.lastDuplicateAt).toISOString(),
    eventHint: event.eventHint,
    bodyFormat: event.bodyFormat,
    contentType: event.contentType,
    bodyBytes: event.bodyBytes,
    contentHash: event.contentHash,
    dedupeKey: event.dedupeKey,
  }
}

function detailJson(event: StoredEvent, types: TypeMapper): Omit<EventDetailJson, 'deliveries'> {
  let body: unknown = null
  let bodyNote: string | null = null
  if (isUtf8(event.rawBody)) {
    try {
      body = JSON.parse(event.rawBody.toString('utf8'))
    } catch {
      body = null
    }
  }
  // Stored before ingest refused such bodies: the answer (and every client that pretty-prints it)
  // would overflow the stack, so the body is left to rawBody, which holds it exactly.
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    body = null
    bodyNote = `the body nests deeper than ${MAX_JSON_DEPTH} levels; it is in rawBody only`
  }
  return {
    ...summaryJson(event, types),
    classification: event.classification,
    headers: event.headers,
    // The parsed body for reading; the exact bytes (what the signature covered) as base64.
    body,
    // Why `body` is null although the bytes are JSON; null otherwise.
    bodyNote,
    rawBody: event.rawBody.toString('base64'),
  }
}

/** GET /api/events and /api/events/:id — behind the admin token. */
export async function eventsRoutes(app: FastifyInstance, options: EventsRoutesOptions): Promise<void> {
  const { store, types } = options
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.adminToken))

  api.get('/api/events', { schema: schema.list }, async (request) => {
    const { query } = request
    // A published type can stand for several canonical names (renames may merge events); a type no
    // GHL event publishes is a source's own type and matches as written.
    const canonical = query.type === undefined ? undefined : types.toCanonical(query.type)
    const page = await store.listEvents(
      {
        source: query.source,
        eventTypes: query.type === undefined ? undefined : canonical!.length ? canonical : [query.type],
        eventName: query.name,
        ghlType: query.ghlType,
        entityId: query.entityId,
        locationId: query.locationId,
        companyId: query.companyId,
        tenantId: query.tenant,
        webhookId: query.webhookId,
        schemaStatus: query.schema,
        since: query.since,
        until: query.until,
      },
      { limit: query.limit, cursor: query.cursor },
    )
    return { data: page.items.map((e) => summaryJson(e, types)), nextCursor: page.nextCursor }
  })

  api.get('/api/events/:id', { schema: schema.get }, async (request) => {
    const event = await store.getEvent(request.params.id)
    if (!event) throw new GatewayError('not_found', `no event ${request.params.id}`)
    const deliveries = await store.eventDeliveries(event.id)
    return {
      ...detailJson(event, types),
      deliveries: deliveries.map(
        ({ attemptHistory, ...d }): EventDeliveryJson => ({
          id: d.id,
          subscriber: d.subscriberId,
          state: d.state,
          ...attemptCounters(d),
          lastError: d.lastError,
          runAt: new Date(d.runAt).toISOString(),
          completedAt: d.completedAt === null ? null : new Date(d.completedAt).toISOString(),
          ...attemptHistoryJson(attemptHistory),
        }),
      ),
    }
  })
}
