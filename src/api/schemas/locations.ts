import { z } from 'zod'
import { BLOCKED_LANES_BUDGET } from '../../store/sql/blocked-lanes.js'
import { TENANT_STATS_LIMITS } from '../../store/sql/tenant-stats.js'
import { decodeTenantCursor } from '../../store/tenant-cursor.js'
import { text } from '../input.js'
import { errorResponses } from './errors.js'
import { answer, count, isoTime, pageOf } from './shared.js'

/** /api/locations and /api/locations/:id: the GHL tenants the stored events name. */

/** Blocked lanes one tenant's answer lists. */
export const BLOCKED_LANES_SHOWN = 50

const n = (value: number) => value.toLocaleString('en-US')

/** The windows volume and error rate are taken over, and their length in ms. */
export const LOCATION_WINDOWS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const
export type LocationWindow = keyof typeof LOCATION_WINDOWS

const windowParam = z
  .enum(Object.keys(LOCATION_WINDOWS) as [LocationWindow, ...LocationWindow[]])
  .default('24h')
  .meta({ description: 'The window volume and error rate are taken over, ending now. @default "24h"' })

export const listLocationsQuery = z.object({
  window: windowParam,
  from: text
    .optional()
    .meta({ description: "Start the listing at this id (inclusive), in the database's text order." }),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z
    .string()
    .refine((c) => decodeTenantCursor(c) !== undefined, 'not a cursor from a previous page')
    .optional(),
})

export const locationQuery = z.object({ window: windowParam })

const windowSchema = z
  .object({ name: z.string(), since: isoTime.meta({ description: 'Start of the window.' }) })
  .meta({ id: 'LocationWindow' })

export const locationSchema = z
  .object({
    kind: z.enum(['location', 'company']).meta({
      description: '`location`: a GHL sub-account (`locationId`); `company`: an agency (`companyId`).',
    }),
    id: z.string(),
    volume: count.meta({
      description: `Events of this tenant in the window — counted from the first event received at or after its start, in receive order — up to ${n(TENANT_STATS_LIMITS.volumeCap)}.`,
    }),
    volumeCapped: z
      .boolean()
      .meta({ description: 'More events than `volume`: the count stopped at its cap.' }),
    lastSeenAt: isoTime.nullable().meta({ description: 'When its newest stored event was received.' }),
    lastEventId: z.string().nullable(),
    errorRate: z
      .number()
      .nullable()
      .meta({
        description: `failedDeliveries / sampledDeliveries, 0–1: the share of the deliveries of its newest events in the window (at most ${TENANT_STATS_LIMITS.errorSample} events) that are retry_scheduled, dead or discarded now. Null when those events have no deliveries.`,
      }),
    sampledEvents: count.meta({ description: 'Events the error rate was taken over.' }),
    sampledDeliveries: count,
    failedDeliveries: count,
  })
  .meta({ id: 'Location' })

export const locationPageSchema = pageOf(locationSchema, 'LocationPage', { window: windowSchema })

export const blockedLaneSchema = z
  .object({
    subscriber: z.string().meta({ description: 'The ordered handler or destination.' }),
    orderingKey: z.string(),
    entity: z.object({ kind: z.string().nullable(), id: z.string().nullable() }),
    deliveryId: z.string().meta({ description: 'The head: the oldest open delivery of the lane.' }),
    eventId: z.string(),
    type: z.string().nullable().meta({ description: "The head event's published type." }),
    name: z.string().nullable().meta({ description: "The head event's GHL doc name." }),
    state: z.literal('retry_scheduled'),
    attempts: count.meta({ description: 'Attempts of the head in its current cycle.' }),
    lastError: z.string().nullable(),
    nextAttemptAt: isoTime,
    failingSince: isoTime
      .nullable()
      .meta({ description: 'When the head’s first attempt of this cycle started.' }),
    waiting: count.meta({
      description: `Open deliveries of the lane behind the head, counted up to ${n(BLOCKED_LANES_BUDGET.waitingCap)}.`,
    }),
    waitingCapped: z.boolean(),
  })
  .meta({ id: 'BlockedLane' })

export const locationDetailSchema = z
  .object({
    id: z.string(),
    window: windowSchema,
    as: z.array(locationSchema).meta({
      description: 'Its numbers as a location and/or as a company: the kinds it has stored events under.',
    }),
    blockedLanes: z.array(blockedLaneSchema).meta({
      description: `Ordered lanes (subscriber + entity) of its events whose head failed and waits for a retry while later deliveries wait behind it; oldest head first, at most ${BLOCKED_LANES_SHOWN}. A dead delivery does not block: it leaves its lane and the next one runs.`,
    }),
    blockedLanesTruncated: z.boolean().meta({
      description: `The scan stopped at its budget (the ${n(BLOCKED_LANES_BUDGET.examine)} oldest retrying ordered deliveries): there may be more.`,
    }),
  })
  .meta({ id: 'LocationDetail' })

export const locationsRoutesSchema = {
  list: {
    summary: 'GHL tenants (locations, then companies) in id order, with volume, error rate and last seen',
    tags: ['locations'],
    querystring: listLocationsQuery,
    response: { 200: answer('A page of tenants', locationPageSchema), ...errorResponses('invalid_request') },
  },
  get: {
    summary: 'One GHL location or company: its numbers and its blocked ordered lanes',
    tags: ['locations'],
    params: z.object({ id: text.meta({ description: 'A GHL locationId or companyId.' }) }),
    querystring: locationQuery,
    response: {
      200: answer('The tenant', locationDetailSchema),
      ...errorResponses('invalid_request'),
    },
  },
}

export type LocationJson = z.infer<typeof locationSchema>
export type LocationPageJson = z.infer<typeof locationPageSchema>
export type BlockedLaneJson = z.infer<typeof blockedLaneSchema>
export type LocationDetailJson = z.infer<typeof locationDetailSchema>
