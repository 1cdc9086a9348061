import { z } from 'zod'
import { DELIVERY_STATES } from '../../store/delivery-states.js'
import { instant, named, pageCursor, pageLimit, text } from '../input.js'
import { attemptCountersShape, attemptHistoryShape } from './attempts.js'
import { BODY_CODES, errorResponses, WRITE_CODES } from './errors.js'
import { eventSummarySchema } from './events.js'
import { answer, count, idParams, isoTime, pageOf, tenantSchema } from './shared.js'

/**
 * /api/deliveries, /api/dlq, POST /api/replay: what they take and what they answer. The filter
 * is shared by listings, replay and purge.
 */

export const filterFields = {
  type: text.optional().meta({ description: 'Published type of the event, or a GHL doc name.' }),
  subscriber: text.optional().meta({ description: 'Handler or destination id.' }),
  tenant: text.optional().meta({ description: 'GHL locationId or companyId.' }),
  error: text.optional().meta({ description: 'The last error contains this text.' }),
  since: instant.optional().meta({ description: 'Updated at or after: ISO-8601 or epoch ms.' }),
  until: instant.optional().meta({ description: 'Updated before: ISO-8601 or epoch ms.' }),
}

export const listDeliveriesQuery = z.object({
  ...filterFields,
  state: z.enum(DELIVERY_STATES).optional(),
  limit: pageLimit,
  cursor: pageCursor,
})

/** One delivery, one event (with subscribers added since), or every delivery a filter matches. */
export const replayBody = named(
  z
    .union([
      z.object({ deliveryId: text }).strict(),
      z.object({ eventId: text }).strict(),
      z
        .object({
          filter: z
            .object({
              ...filterFields,
              states: z
                .array(z.enum(['succeeded', 'dead', 'discarded']))
                .min(1)
                .optional()
                .meta({ description: 'Which finished deliveries to start again. @default ["dead"]' }),
            })
            .strict(),
          limit: z.number().int().min(1).max(100_000).default(10_000),
        })
        .strict(),
    ])
    .meta({ id: 'ReplayRequest' }),
  'replay request',
)

const deliveryShape = {
  id: z.string(),
  eventId: z.string(),
  subscriber: z.string(),
  state: z.enum(DELIVERY_STATES),
  type: z.string().meta({ description: "The event's published type (`<source>.event` when it has none)." }),
  name: z.string().nullable().meta({ description: "The event's GHL doc name." }),
  tenant: tenantSchema,
  ...attemptCountersShape,
  lastError: z.string().nullable(),
  runAt: isoTime.meta({ description: 'Next due time (a leased delivery: its lease expiry).' }),
  createdAt: isoTime,
  updatedAt: isoTime,
  completedAt: isoTime.nullable(),
}

export const deliverySchema = z.object(deliveryShape).meta({ id: 'Delivery' })

export const deliveryDetailSchema = z
  .object({ ...deliveryShape, event: eventSummarySchema, ...attemptHistoryShape })
  .meta({ id: 'DeliveryDetail' })

export const deliveryPageSchema = pageOf(deliverySchema, 'DeliveryPage')

export const replayAnswerSchema = z
  .object({
    replayed: count.meta({ description: 'Deliveries started again (a new cycle).' }),
    added: z
      .number()
      .int()
      .meta({ description: 'New deliveries for subscribers added since the event arrived.' }),
  })
  .meta({ id: 'ReplayAnswer' })

export const purgeAnswerSchema = z.object({
  discarded: count.meta({ description: 'Deliveries marked discarded.' }),
})

export const deliveriesRoutesSchema = {
  list: {
    summary: 'List deliveries, newest first',
    tags: ['deliveries'],
    querystring: listDeliveriesQuery,
    response: {
      200: answer('A page of deliveries', deliveryPageSchema),
      ...errorResponses('invalid_request'),
    },
  },
  dlq: {
    summary: 'List dead deliveries (the dead-letter queue), newest first',
    tags: ['dlq'],
    querystring: listDeliveriesQuery,
    response: {
      200: answer('A page of dead deliveries', deliveryPageSchema),
      ...errorResponses('invalid_request'),
    },
  },
  get: {
    summary: "One delivery with its event's summary and every attempt, oldest first",
    tags: ['deliveries'],
    params: idParams,
    response: { 200: answer('The delivery', deliveryDetailSchema), ...errorResponses() },
  },
  purge: {
    summary: 'Purge a dead delivery: it becomes discarded (kept, replayable)',
    tags: ['dlq'],
    params: idParams,
    response: {
      200: answer('Purged', purgeAnswerSchema),
      ...errorResponses('invalid_request', ...WRITE_CODES),
    },
  },
  replay: {
    summary: 'Start deliveries again: one delivery, one event, or a filter',
    tags: ['replay'],
    body: replayBody,
    response: {
      200: answer('What was replayed', replayAnswerSchema),
      ...errorResponses('invalid_request', ...BODY_CODES, ...WRITE_CODES),
    },
  },
}

export type DeliveryJson = z.infer<typeof deliverySchema>
export type DeliveryDetailJson = z.infer<typeof deliveryDetailSchema>
export type DeliveryPageJson = z.infer<typeof deliveryPageSchema>
export type ReplayRequestJson = z.input<typeof replayBody>
export type ReplayAnswerJson = z.infer<typeof replayAnswerSchema>
