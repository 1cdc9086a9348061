import { isUtf8 } from 'node:buffer'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { formatIssues } from '../config/file.js'
import { GatewayError } from '../errors.js'
import { decodeCursor } from '../store/cursor.js'
import { EVENT_STATUSES, type EventSummary, type Store, type StoredEvent } from '../store/types.js'
import { requireAdmin } from './auth.js'

export interface EventsRoutesOptions {
  store: Store
  adminToken: string | undefined
}

/** An instant as ISO-8601 text or epoch milliseconds. */
const instant = z.string().transform((text, ctx) => {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text)
  if (!Number.isFinite(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an ISO-8601 time or epoch milliseconds (got "${text}")`,
    })
    return z.NEVER
  }
  return ms
})

const shortText = z.string().min(1).max(255)

export const listEventsQuery = z.object({
  source: shortText.optional(),
  type: shortText.optional(),
  locationId: shortText.optional(),
  companyId: shortText.optional(),
  webhookId: shortText.optional(),
  status: z.enum(EVENT_STATUSES).optional(),
  since: instant.optional(),
  until: instant.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .refine((c) => decodeCursor(c) !== undefined, 'not a cursor from a previous page')
    .optional(),
})

function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const result = schema.safeParse(query)
  if (!result.success)
    throw new GatewayError('invalid_request', `invalid query: ${formatIssues(result.error.issues)}`)
  return result.data
}

export function summaryJson(event: EventSummary) {
  return {
    id: event.id,
    source: event.source,
    status: event.status,
    receivedAt: new Date(event.receivedAt).toISOString(),
    ghlType: event.ghlType,
    webhookId: event.webhookId,
    locationId: event.locationId,
    companyId: event.companyId,
    sentAt: event.sentAt,
    eventHint: event.eventHint,
    verification: event.verification,
    flags: event.flags,
    duplicateCount: event.duplicateCount,
    lastDuplicateAt: event.lastDuplicateAt === null ? null : new Date(event.lastDuplicateAt).toISOString(),
    contentType: event.contentType,
    bodyBytes: event.bodyBytes,
    contentHash: event.contentHash,
    dedupeKey: event.dedupeKey,
  }
}

function detailJson(event: StoredEvent) {
  let body: unknown = null
  if (isUtf8(event.rawBody)) {
    try {
      body = JSON.parse(event.rawBody.toString('utf8'))
    } catch {
      body = null
    }
  }
  return {
    ...summaryJson(event),
    headers: event.headers,
    // The parsed body for reading; the exact bytes (what the signature covered) as base64.
    body,
    rawBody: event.rawBody.toString('base64'),
  }
}

/** GET /api/events and /api/events/:id — behind the admin token. */
export async function eventsRoutes(app: FastifyInstance, options: EventsRoutesOptions): Promise<void> {
  const { store } = options
  app.addHook('onRequest', requireAdmin(options.adminToken))

  app.get('/api/events', async (request) => {
    const query = parseQuery(listEventsQuery, request.query)
    const page = await store.listEvents(
      {
        source: query.source,
        ghlType: query.type,
        locationId: query.locationId,
        companyId: query.companyId,
        webhookId: query.webhookId,
        status: query.status,
        since: query.since,
        until: query.until,
      },
      { limit: query.limit, cursor: query.cursor },
    )
    return { data: page.items.map(summaryJson), nextCursor: page.nextCursor }
  })

  app.get<{ Params: { id: string } }>('/api/events/:id', async (request) => {
    const event = await store.getEvent(request.params.id)
    if (!event) throw new GatewayError('not_found', `no event ${request.params.id}`)
    return detailJson(event)
  })
}
