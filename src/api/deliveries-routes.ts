import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { publishedType, storedTypesOf, type TypeMapper } from '../catalog/index.js'
import { parseStoredBody } from '../catalog/parse-body.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import { planDeliveries } from '../dispatch/subscribers.js'
import { GatewayError } from '../errors.js'
import type { DeliveryFilter, DeliverySummary, Store } from '../store/types.js'
import { attemptCounters, attemptHistoryJson } from './attempts-json.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import { noBodyIsEmpty } from './contract.js'
import { summaryJson } from './events-routes.js'
import {
  type DeliveryJson,
  type DeliveryPageJson,
  type listDeliveriesQuery,
  deliveriesRoutesSchema as schema,
} from './schemas/deliveries.js'

export interface DeliveriesRoutesOptions {
  store: Store
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  types: TypeMapper
  registry: SubscriberRegistry
  /** Replayed deliveries are due now: wake the workers. */
  onWork: () => void
  /**
   * Deliveries were replayed into these subscribers (undefined: any): a destination whose circuit
   * is open probes at once instead of holding them for its cooldown (DestinationAdmin.probeAfterReplay).
   */
  onReplayed?: (subscriberIds: readonly string[] | undefined) => Promise<void>
  now?: () => number
}

export function deliveryJson(d: DeliverySummary, types: TypeMapper): DeliveryJson {
  return {
    id: d.id,
    eventId: d.eventId,
    subscriber: d.subscriberId,
    state: d.state,
    type: publishedType(d, types),
    name: d.eventName,
    tenant: { locationId: d.locationId, companyId: d.companyId },
    ...attemptCounters(d),
    lastError: d.lastError,
    runAt: new Date(d.runAt).toISOString(),
    createdAt: new Date(d.createdAt).toISOString(),
    updatedAt: new Date(d.updatedAt).toISOString(),
    completedAt: d.completedAt === null ? null : new Date(d.completedAt).toISOString(),
  }
}

/**
 * /api/deliveries, /api/deliveries/:id, /api/dlq, POST /api/replay, DELETE /api/dlq/:id — behind the
 * admin token.
 */
export async function deliveriesRoutes(
  app: FastifyInstance,
  options: DeliveriesRoutesOptions,
): Promise<void> {
  const { store, types } = options
  const now = options.now ?? Date.now
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  const toFilter = (q: {
    type?: string
    subscriber?: string
    tenant?: string
    error?: string
    since?: number
    until?: number
  }): DeliveryFilter => {
    return {
      eventTypes: q.type === undefined ? undefined : storedTypesOf(q.type, types),
      subscriberId: q.subscriber,
      tenantId: q.tenant,
      error: q.error,
      since: q.since,
      until: q.until,
    }
  }

  const list = async (
    query: z.output<typeof listDeliveriesQuery>,
    states?: DeliveryFilter['states'],
  ): Promise<DeliveryPageJson> => {
    const page = await store.listDeliveries(
      { ...toFilter(query), states: states ?? (query.state ? [query.state] : undefined) },
      { limit: query.limit, cursor: query.cursor },
    )
    return { data: page.items.map((d) => deliveryJson(d, types)), nextCursor: page.nextCursor }
  }

  api.get('/api/deliveries', { schema: schema.list }, async (request) => list(request.query))
  api.get('/api/dlq', { schema: schema.dlq }, async (request) => list(request.query, ['dead']))

  // One delivery with its event's summary and every attempt (all cycles), oldest first: `dlq show`.
  api.get('/api/deliveries/:id', { schema: schema.get }, async (request) => {
    const delivery = await store.getDelivery(request.params.id)
    const event = delivery && (await store.getEvent(delivery.eventId))
    if (!delivery || !event) throw new GatewayError('not_found', `no delivery ${request.params.id}`)
    const history =
      (await store.eventDeliveries(event.id)).find((d) => d.id === delivery.id)?.attemptHistory ?? []
    const { source, eventType, eventName, locationId, companyId } = event
    return {
      ...deliveryJson({ ...delivery, source, eventType, eventName, locationId, companyId }, types),
      event: summaryJson(event, types),
      ...attemptHistoryJson(history),
    }
  })

  api.delete('/api/dlq/:id', { schema: schema.purge }, async (request) => {
    const delivery = await store.getDelivery(request.params.id)
    if (!delivery) throw new GatewayError('not_found', `no delivery ${request.params.id}`)
    if (delivery.state !== 'dead') {
      throw new GatewayError(
        'invalid_request',
        `delivery ${delivery.id} is ${delivery.state}, not dead; only dead deliveries are purged`,
      )
    }
    return {
      discarded: await store.discardDeliveries(
        { eventId: delivery.eventId, subscriberId: delivery.subscriberId },
        now(),
      ),
    }
  })

  api.post('/api/replay', { schema: schema.replay, preValidation: noBodyIsEmpty }, async (request) => {
    const { body } = request
    let replayed = 0
    let added = 0
    let into: readonly string[] | undefined
    if ('deliveryId' in body) {
      const delivery = await store.getDelivery(body.deliveryId)
      if (!delivery) throw new GatewayError('not_found', `no delivery ${body.deliveryId}`)
      replayed = await store.replayDeliveries(
        { eventId: delivery.eventId, subscriberId: delivery.subscriberId },
        now(),
        1,
      )
      into = [delivery.subscriberId]
    } else if ('eventId' in body) {
      const event = await store.getEvent(body.eventId)
      if (!event) throw new GatewayError('not_found', `no event ${body.eventId}`)
      replayed = await store.replayDeliveries({ eventId: event.id }, now(), 10_000)
      // Subscribers added since the event arrived get it too: "replay to everyone who wants it now".
      const planned = planDeliveries(
        {
          source: event.source,
          type: publishedType(event, types),
          event: { ...event, deliveries: [] },
          body: parseStoredBody(event),
        },
        options.registry.list(),
        now(),
      )
      added = await store.addDeliveries(event.id, planned, now())
      into = (await store.eventDeliveries(event.id)).map((d) => d.subscriberId)
    } else {
      replayed = await store.replayDeliveries(
        { ...toFilter(body.filter), states: body.filter.states ?? ['dead'] },
        now(),
        body.limit,
      )
      into = body.filter.subscriber === undefined ? undefined : [body.filter.subscriber]
    }
    if (replayed + added > 0) {
      options.onWork()
      await options.onReplayed?.(into)
    }
    return { replayed, added }
  })
}
