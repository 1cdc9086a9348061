import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ghlRetryOutcome } from '../catalog/ghl-retry-policy.js'
import { publishedType, storedTypesOf, type TypeMapper } from '../catalog/index.js'
import { parseStoredBody } from '../catalog/parse-body.js'
import { GatewayError } from '../errors.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js'
import { traceIdOf } from '../observe/trace-context.js'
import { countDeliveries, type DeliveryCounts, deliveryStatusOf } from '../store/event-delivery-status.js'
import type { EventSummary, ListedEvent, Store, StoredEvent } from '../store/types.js'
import { attemptCounters, attemptHistoryJson } from './attempts-json.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import {
  type EventDeliveryJson,
  type EventDetailJson,
  type EventListItemJson,
  type EventSummaryJson,
  eventsRoutesSchema as schema,
} from './schemas/events.js'

export interface EventsRoutesOptions {
  store: Store
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  types: TypeMapper
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

function deliveryStatusJson(deliveryCounts: DeliveryCounts) {
  return { deliveryStatus: deliveryStatusOf(deliveryCounts), deliveryCounts }
}

function listedJson(event: ListedEvent, types: TypeMapper): EventListItemJson {
  return { ...summaryJson(event, types), ...deliveryStatusJson(event.deliveryCounts) }
}

function detailJson(
  event: StoredEvent,
  types: TypeMapper,
): Omit<EventDetailJson, 'deliveries' | 'deliveryStatus' | 'deliveryCounts'> {
  let body: unknown = parseStoredBody(event)
  let bodyNote: string | null = null
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
    traceId: traceIdOf(event.traceParent),
    traceParent: event.traceParent ?? null,
    traceState: event.traceState ?? null,
    // Stored, then acknowledged: the receive path answers 200 to an event it stored and to each
    // of its duplicates (receive/webhook-routes.ts); a refused request is never stored.
    senderAnswer: { status: 200, retryPolicy: ghlRetryOutcome(200) },
  }
}

/** GET /api/events and /api/events/:id — behind the admin token. */
export async function eventsRoutes(app: FastifyInstance, options: EventsRoutesOptions): Promise<void> {
  const { store, types } = options
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  api.get('/api/events', { schema: schema.list }, async (request) => {
    const { query } = request
    const page = await store.listEvents(
      {
        source: query.source,
        eventTypes: query.type === undefined ? undefined : storedTypesOf(query.type, types),
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
        q: query.q,
        status: query.status,
      },
      { limit: query.limit, cursor: query.cursor },
    )
    return {
      data: page.items.map((e) => listedJson(e, types)),
      nextCursor: page.nextCursor,
      searchedBackTo: page.searchedBackTo === null ? null : new Date(page.searchedBackTo).toISOString(),
    }
  })

  api.get('/api/events/:id', { schema: schema.get }, async (request) => {
    const event = await store.getEvent(request.params.id)
    if (!event) throw new GatewayError('not_found', `no event ${request.params.id}`)
    const deliveries = await store.eventDeliveries(event.id)
    return {
      ...detailJson(event, types),
      ...deliveryStatusJson(countDeliveries(deliveries.map((d) => d.state))),
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
