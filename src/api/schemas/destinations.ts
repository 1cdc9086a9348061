import { z } from 'zod'
import { GHL_EVENT_NAMES, type GhlEventName } from '../../catalog/index.js'
import { destinationSchema } from '../../destinations/schema.js'
import { DELIVERY_STATES } from '../../store/delivery-states.js'
import { checkedByHandler, named, pageCursor, pageLimit } from '../input.js'
import { savedResponseSchema } from './attempts.js'
import { deliveryPageSchema } from './deliveries.js'
import { BODY_CODES, errorResponses, WRITE_CODES } from './errors.js'
import { answer, count, idParams, isoTime } from './shared.js'

/** /api/destinations: what its routes take and answer. */

// A template is any JSON value: one named, recursive schema in the document (zod names it
// `__shared#/$defs/…` otherwise, which is no reference a client generator follows).
z.globalRegistry.add(destinationSchema.shape.template.unwrap(), { id: 'JsonValue' })

/**
 * POST and PUT bodies: the config file's schema (src/destinations/schema.ts). The
 * destination admin validates them after resolving `${NAME}` references and restoring `***`
 * secrets, so the route passes them on as sent.
 */
export const destinationDocument = checkedByHandler(
  destinationSchema.meta({
    id: 'DestinationDocument',
    description:
      // biome-ignore lint/suspicious/noTemplateCurlyInString: `${NAME}` is the config file's syntax
      'A destination as in the config file. Strings may hold `${NAME}` environment references; in a PUT, `"***"` keeps a stored secret and `id` may be left out (it is the URL\'s).',
  }),
)

export const pauseBody = named(
  z.strictObject({ reason: z.string().min(1).max(500).optional() }).default({}),
  'pause request',
)

export const testBody = named(
  z.union([
    z.strictObject({ eventId: z.string().min(1).max(64).meta({ description: 'Send this stored event.' }) }),
    z.strictObject({
      event: z.enum(GHL_EVENT_NAMES as unknown as [GhlEventName, ...GhlEventName[]]),
      data: z
        .record(z.string(), z.unknown())
        .optional()
        .meta({ description: 'Fields merged over the catalog fixture (e.g. `{ "locationId": "loc_1" }`).' }),
    }),
  ]),
  'test request',
)

export const destinationDeliveriesQuery = z.object({
  state: z.enum(DELIVERY_STATES).optional(),
  limit: pageLimit,
  cursor: pageCursor,
})

const circuitSchema = z.object({
  state: z.enum(['closed', 'open', 'half_open']),
  openedAt: isoTime.nullable(),
  probeAt: isoTime.nullable().meta({ description: 'When a probe may run, while open.' }),
  cooldownMs: z.number(),
  window: z.object({ attempts: count, failures: count }),
})

export const destinationViewSchema = z
  .object({
    id: z.string(),
    origin: z.enum(['config', 'api']),
    state: z.enum(['active', 'paused', 'disabled']),
    stateReason: z.string().nullable(),
    orphaned: z
      .boolean()
      .meta({ description: "A config destination no running gateway's config file defines (paused, kept)." }),
    orphanedAt: isoTime.nullable(),
    openDeliveries: count,
    definition: z.record(z.string(), z.unknown()).meta({
      description: 'The document, every secret as `***` (headers not listed in `publicHeaders` too).',
    }),
    process: z
      .union([
        z.object({
          running: z.literal(true),
          circuit: circuitSchema.nullable(),
          rateLimit: z.object({ perSecond: z.number(), burst: z.number(), tokens: z.number() }).nullable(),
        }),
        z.object({ running: z.literal(false) }),
      ])
      .meta({
        description: 'The destination in the process that answered: its circuit breaker and rate limit.',
      }),
    createdAt: isoTime,
    updatedAt: isoTime,
  })
  .meta({ id: 'Destination' })

export const destinationListSchema = z.object({ data: z.array(destinationViewSchema) })

export const testAnswerSchema = z
  .object({
    destination: z.string(),
    eventId: z.string(),
    ok: z.boolean(),
    verdict: z.enum(['success', 'retry', 'fatal', 'disable']),
    message: z.string(),
    errorClass: z.string().nullable(),
    response: savedResponseSchema,
  })
  .meta({ id: 'DestinationTestAnswer' })

export const probeAnswerSchema = z
  .object({
    destination: z.string(),
    requestedAt: isoTime,
    circuit: circuitSchema.nullable().meta({
      description: 'The circuit in the process that answered, after the request (null: none here).',
    }),
  })
  .meta({ id: 'DestinationProbeAnswer' })

export const recentAttemptSchema = z.object({
  id: z.string(),
  deliveryId: z.string(),
  eventId: z.string(),
  number: count,
  cycle: count,
  startedAt: isoTime,
  durationMs: z.number(),
  outcome: z.enum(['succeeded', 'retry', 'dead', 'lease_lost']),
  status: z.number().nullable().meta({ description: 'The HTTP status answered, or null (no answer).' }),
  errorClass: z.string().nullable(),
  errorMessage: z.string().nullable(),
})

export const attemptStatsSchema = z
  .object({
    scanned: count.meta({
      description:
        "How many of the gateway's most recent attempts (all destinations) were looked at: the window these figures cover.",
    }),
    attempts: count.meta({
      description: "This destination's attempts in that window (lost leases excluded).",
    }),
    successRate: z
      .number()
      .nullable()
      .meta({ description: 'Succeeded / attempts, 0–1; null without attempts.' }),
    p50Ms: z.number().nullable(),
    p95Ms: z.number().nullable(),
    since: isoTime.nullable().meta({ description: 'When the oldest of those attempts started.' }),
    data: z.array(recentAttemptSchema).meta({ description: 'The most recent ones, newest first.' }),
  })
  .meta({ id: 'DestinationAttemptStats' })

export const attemptStatsQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .meta({ description: 'Attempts listed in `data`.' }),
})

export const deleteAnswerSchema = z.object({
  deleted: z.boolean(),
  deadLettered: count.meta({ description: 'Open deliveries moved to the dead-letter queue.' }),
})

const tags = ['destinations']
const one = { 200: answer('The destination', destinationViewSchema) }

export const destinationsRoutesSchema = {
  list: {
    summary: 'List destinations',
    tags,
    response: { 200: answer('Every destination', destinationListSchema), ...errorResponses() },
  },
  create: {
    summary: 'Create an API destination',
    tags,
    body: destinationDocument,
    response: {
      201: answer('Created', destinationViewSchema),
      ...errorResponses('invalid_request', 'conflict', ...BODY_CODES, ...WRITE_CODES),
    },
  },
  get: { summary: 'One destination', tags, params: idParams, response: { ...one, ...errorResponses() } },
  replace: {
    summary: 'Replace an API destination, or adopt an orphaned config destination',
    tags,
    params: idParams,
    body: destinationDocument,
    response: { ...one, ...errorResponses('invalid_request', 'conflict', ...BODY_CODES, ...WRITE_CODES) },
  },
  remove: {
    summary: 'Delete a destination; its open deliveries go to the dead-letter queue',
    tags,
    params: idParams,
    response: { 200: answer('Deleted', deleteAnswerSchema), ...errorResponses('conflict', ...WRITE_CODES) },
  },
  pause: {
    summary: 'Pause a destination: deliveries are kept, none sent',
    tags,
    params: idParams,
    body: pauseBody,
    response: { ...one, ...errorResponses('invalid_request', 'conflict', ...BODY_CODES, ...WRITE_CODES) },
  },
  resume: {
    summary: 'Resume a paused destination',
    tags,
    params: idParams,
    response: { ...one, ...errorResponses('conflict', ...BODY_CODES, ...WRITE_CODES) },
  },
  test: {
    summary: 'Send one event (stored, or a catalog fixture) now and answer with the outcome',
    tags,
    params: idParams,
    body: testBody,
    response: {
      200: answer('What the destination answered, and what the gateway would do', testAnswerSchema),
      ...errorResponses('invalid_request', 'conflict', ...BODY_CODES, ...WRITE_CODES),
    },
  },
  probe: {
    summary: 'Probe now: an open circuit becomes half-open at once, in every process',
    description:
      'Recorded in the store and applied by every gateway process (at once on PostgreSQL, else at its next destination reload): where the circuit is open, the next due delivery is the probe — its success closes the circuit, its failure reopens it with the same cooldown. A closed circuit stays closed. A paused, disabled or orphaned destination answers `conflict`.',
    tags,
    params: idParams,
    response: {
      202: answer('The request is recorded', probeAnswerSchema),
      ...errorResponses('conflict', ...WRITE_CODES),
    },
  },
  attempts: {
    summary: "A destination's recent attempts: success rate, latency (p50/p95) and the attempts themselves",
    tags,
    params: idParams,
    querystring: attemptStatsQuery,
    response: {
      200: answer('Figures over its recent attempts, and the latest ones', attemptStatsSchema),
      ...errorResponses('invalid_request'),
    },
  },
  deliveries: {
    summary: "A destination's deliveries, newest first",
    tags,
    params: idParams,
    querystring: destinationDeliveriesQuery,
    response: {
      200: answer('A page of deliveries', deliveryPageSchema),
      ...errorResponses('invalid_request'),
    },
  },
}

export type DestinationJson = z.infer<typeof destinationViewSchema>
export type DestinationListJson = z.infer<typeof destinationListSchema>
export type DestinationTestAnswerJson = z.infer<typeof testAnswerSchema>
export type DestinationAttemptStatsJson = z.infer<typeof attemptStatsSchema>
export type DestinationProbeAnswerJson = z.infer<typeof probeAnswerSchema>
export type DestinationDeleteAnswerJson = z.infer<typeof deleteAnswerSchema>
