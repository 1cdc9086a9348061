import { z } from 'zod'
import { DELIVERY_STATES } from '../../store/delivery-states.js'
import { EVENT_DELIVERY_STATUSES } from '../../store/event-delivery-status.js'
import { MAX_SEARCH_LENGTH } from '../../store/event-filter.js'
import { instant, pageCursor, pageLimit, text } from '../input.js'
import { attemptCountersShape, attemptHistoryShape } from './attempts.js'
import { errorResponses } from './errors.js'
import { answer, count, idParams, isoTime, pageOf, tenantSchema } from './shared.js'

/** GET /api/events and GET /api/events/:id: what they take and what they answer. */

export const listEventsQuery = z.object({
  source: text.optional(),
  type: text.optional().meta({
    description: "The published type: canonical (`contact.created`) or this gateway's rename of it.",
  }),
  name: text.optional().meta({ description: 'GHL doc name (`ContactCreate`) or `unknown`.' }),
  ghlType: text.optional().meta({ description: 'The raw body `type` (`INSTALL`, `one_time`, …).' }),
  entityId: text.optional(),
  locationId: text.optional(),
  companyId: text.optional(),
  tenant: text.optional().meta({ description: 'Either tenant id.' }),
  webhookId: text.optional(),
  schema: z.enum(['valid', 'drift', 'unknown']).optional(),
  since: instant.optional(),
  until: instant.optional(),
  q: z.string().trim().min(1).max(MAX_SEARCH_LENGTH).optional().meta({
    description:
      "Search. An id — event (`evt_…`), delivery (`dlv_…`), the sender's webhookId or dedupe key, the entity — lists the events that have it, through indexes. Any other text (an email, a name) is looked for in the raw bodies, byte for byte and case-sensitive (`%` and `_` are plain characters), newest first and within a budget of events per request: when the budget ends before the page is full, `searchedBackTo` says how far back it looked and `nextCursor` continues.",
  }),
  status: z.enum(EVENT_DELIVERY_STATUSES).optional().meta({
    description:
      'The events whose `deliveryStatus` is this: `failed` (a delivery is dead), `pending` (one is open, none dead), `discarded` (a dead one was purged, none open or dead), `delivered` (all succeeded), `none` (no deliveries). `failed` and `pending` are read from the dead or open deliveries while there are at most 5,000 of them; otherwise, and for the other statuses, events are examined within the same budget as a body search (`searchedBackTo`).',
  }),
  limit: pageLimit,
  cursor: pageCursor,
})

const verificationSchema = z.object({
  scheme: z.string().meta({ description: '`ghl-ed25519`, `hmac-sha256`, …, or `none`.' }),
  verified: z.boolean(),
  keyId: z.string().optional().meta({ description: 'The key or secret that matched (never the secret).' }),
  failure: z
    .string()
    .optional()
    .meta({ description: 'Why verification failed, when unverified events are accepted.' }),
})

const summaryShape = {
  id: z.string(),
  source: z.string(),
  type: z.string().meta({
    description:
      "The published type: GHL's canonical name after this gateway's renames, another source's own type, or `<source>.event` when the event has none.",
  }),
  name: z
    .string()
    .nullable()
    .meta({ description: 'GHL doc name (`ContactCreate`), `unknown`, or null for other sources.' }),
  ghlType: z.string().nullable(),
  entity: z.object({ kind: z.string().nullable(), id: z.string().nullable() }),
  tenant: tenantSchema,
  webhookId: z.string().nullable(),
  receivedAt: isoTime,
  occurredAt: z
    .string()
    .nullable()
    .meta({ description: 'When it happened according to the body (its text).' }),
  sentAt: z.string().nullable().meta({ description: "The sender's own send time (its text)." }),
  schemaStatus: z.enum(['valid', 'drift', 'unknown']).nullable(),
  flags: z.array(z.string()),
  verification: verificationSchema,
  duplicateCount: count,
  lastDuplicateAt: isoTime.nullable(),
  eventHint: z.string().nullable(),
  bodyFormat: z.string().nullable(),
  contentType: z.string(),
  bodyBytes: count,
  contentHash: z.string(),
  dedupeKey: z.string(),
}

export const eventSummarySchema = z.object(summaryShape).meta({ id: 'EventSummary' })

/** What became of an event's deliveries: the list shows it without a request per event. */
const deliveryStatusShape = {
  deliveryStatus: z.enum(EVENT_DELIVERY_STATUSES).meta({
    description:
      'The first that holds: `failed` (a delivery is dead), `pending` (one is open), `discarded` (a dead one was purged), `delivered` (all succeeded), `none` (no deliveries).',
  }),
  deliveryCounts: z
    .object({ open: count, succeeded: count, dead: count, discarded: count })
    .meta({ description: 'Deliveries per state; `open` is pending, leased or retry_scheduled.' }),
}

/** A row of GET /api/events: the summary and its delivery status. */
export const eventListItemSchema = z
  .object({ ...summaryShape, ...deliveryStatusShape })
  .meta({ id: 'EventListItem' })

/** One delivery of the event (one per subscriber), with every attempt. */
export const eventDeliverySchema = z
  .object({
    id: z.string(),
    subscriber: z.string(),
    state: z.enum(DELIVERY_STATES),
    ...attemptCountersShape,
    lastError: z.string().nullable(),
    runAt: isoTime,
    completedAt: isoTime.nullable(),
    ...attemptHistoryShape,
  })
  .meta({ id: 'EventDelivery' })

export const eventDetailSchema = z
  .object({
    ...summaryShape,
    ...deliveryStatusShape,
    classification: z
      .object({
        matchedBy: z.string(),
        family: z.string().nullable(),
        issues: z.array(z.object({ path: z.string(), message: z.string() })),
        notes: z.array(z.string()),
      })
      .nullable(),
    headers: z
      .record(z.string(), z.string())
      .meta({ description: 'Headers worth keeping; credentials as fingerprints.' }),
    body: z
      .unknown()
      .meta({ description: 'The parsed body (any JSON); null when it is not JSON or `bodyNote` says why.' }),
    bodyNote: z
      .string()
      .nullable()
      .meta({ description: 'Why `body` is null although the bytes are JSON; null otherwise.' }),
    rawBody: z.string().meta({
      contentEncoding: 'base64',
      description: 'The exact bytes received (what the signature covered).',
    }),
    traceId: z.string().nullable().meta({
      description:
        'The OpenTelemetry trace the webhook was received in (the sender’s, or the ingest span’s); null when there was none. Each attempt has its own `traceId`.',
    }),
    traceParent: z.string().nullable().meta({
      description: 'The W3C `traceparent` kept with the event, which attempts link to; null when none.',
    }),
    traceState: z.string().nullable().meta({
      description: 'The W3C `tracestate` (vendor data) kept beside `traceParent`; null when none.',
    }),
    deliveries: z.array(eventDeliverySchema),
    senderAnswer: z
      .object({
        status: z
          .int()
          .meta({ description: 'The HTTP status the gateway answered (the same for each duplicate).' }),
        retryPolicy: z.string().meta({
          description: "What GHL's current retry policy (guide 2026-08-30) does after that answer.",
        }),
      })
      .meta({
        description:
          'The answer the sender got: an event is stored before the 200, so every stored event got one.',
      }),
  })
  .meta({ id: 'EventDetail' })

export const eventPageSchema = pageOf(eventListItemSchema, 'EventPage', {
  searchedBackTo: isoTime.nullable().meta({
    description:
      'Set when a search (`q` on bodies, `status`) used its budget before the page was full: the receive time of the oldest event it examined. Older events were not examined; `nextCursor` continues the search below it. Null when the page is complete.',
  }),
})

export const eventsRoutesSchema = {
  list: {
    summary: 'List events, newest first',
    tags: ['events'],
    querystring: listEventsQuery,
    response: { 200: answer('A page of events', eventPageSchema), ...errorResponses('invalid_request') },
  },
  get: {
    summary: 'One event: classification, headers, body and its exact bytes, deliveries and attempts',
    tags: ['events'],
    params: idParams,
    response: { 200: answer('The event', eventDetailSchema), ...errorResponses() },
  },
}

export type EventSummaryJson = z.infer<typeof eventSummarySchema>
export type EventListItemJson = z.infer<typeof eventListItemSchema>
export type EventDetailJson = z.infer<typeof eventDetailSchema>
export type EventDeliveryJson = z.infer<typeof eventDeliverySchema>
export type EventPageJson = z.infer<typeof eventPageSchema>
