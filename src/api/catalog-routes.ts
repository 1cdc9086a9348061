import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  type AnyCatalogEntry,
  byName,
  CATALOG,
  type CatalogEntry,
  freshFixture,
  loadFixture,
  type TypeMapper,
} from '../catalog/index.js'
import { ERROR_CODES, type ErrorCode, GatewayError } from '../errors.js'
import type { EventTypeStats, Store } from '../store/types.js'
import type { GhlSigner } from '../verify/index.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import {
  type CatalogEntryJson,
  type CatalogStatsJson,
  catalogRoutesSchema as schema,
} from './schemas/catalog.js'

export interface CatalogRoutesOptions {
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  types: TypeMapper
  store: Store
  /** CONSOLE_SAMPLE_SIGNING_KEY, read at boot; absent: samples cannot be sent from here. */
  sampleSigner?: GhlSigner | undefined
  /** ms since the epoch. @default Date.now */
  now?: () => number
}

const NO_TRAFFIC: Omit<EventTypeStats, 'eventType'> = {
  lastSeenAt: null,
  lastDay: 0,
  lastWeek: 0,
  driftLastWeek: 0,
}

function statsJson(stats: Omit<EventTypeStats, 'eventType'> | undefined): CatalogStatsJson {
  const { lastSeenAt, lastDay, lastWeek, driftLastWeek } = stats ?? NO_TRAFFIC
  return {
    lastSeenAt: lastSeenAt === null ? null : new Date(lastSeenAt).toISOString(),
    lastDay,
    lastWeek,
    driftLastWeek,
  }
}

function entryJson(entry: CatalogEntry, types: TypeMapper, stats: CatalogStatsJson): CatalogEntryJson {
  return {
    name: entry.name,
    canonical: entry.canonical,
    type: types.toType(entry.canonical),
    typeValues: [...entry.typeValues],
    category: entry.category,
    level: entry.level,
    scopes: [...entry.scopes],
    since: entry.since,
    entity: entry.entity,
    tenant: entry.tenant,
    stats,
  }
}

function entryOf(name: string): AnyCatalogEntry {
  const entry = byName(name)
  if (!entry) throw new GatewayError('not_found', `no GHL event named ${name}; see GET /api/catalog`)
  return entry
}

/** The route a sample goes to: the GHL source, with the event's name as the per-event URL hint. */
const receivePath = (name: string) => `/webhooks/ghl/${encodeURIComponent(name)}`

/**
 * GET /api/catalog (every GHL event the gateway knows, with its traffic here), /api/catalog/:name
 * (with its JSON Schema and sample), and POST /api/catalog/:name/send.
 *
 * The send signs a fresh copy of the sample (new webhookId and timestamp, so it is never a
 * duplicate) with CONSOLE_SAMPLE_SIGNING_KEY and injects it into this gateway's own webhook route:
 * the signature check, store-before-ack, classification and delivery planning are the ones every
 * webhook goes through, and the answer is the event id the route gave.
 */
export async function catalogRoutes(app: FastifyInstance, options: CatalogRoutesOptions): Promise<void> {
  const { types, store, sampleSigner } = options
  const now = options.now ?? Date.now
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  api.get('/api/catalog', { schema: schema.list }, async () => {
    const answer = await store.eventTypeStats(
      CATALOG.map((entry) => entry.canonical),
      now(),
    )
    const byType = new Map(answer.types.map((stats) => [stats.eventType, stats]))
    return {
      data: CATALOG.map((entry) => entryJson(entry, types, statsJson(byType.get(entry.canonical)))),
      countLimit: answer.countLimit,
      driftLimitReached: answer.driftLimitReached,
    }
  })

  api.get('/api/catalog/:name', { schema: schema.get }, async (request) => {
    const entry = entryOf(request.params.name)
    const answer = await store.eventTypeStats([entry.canonical], now())
    return {
      ...entryJson(entry, types, statsJson(answer.types[0])),
      countLimit: answer.countLimit,
      driftLimitReached: answer.driftLimitReached,
      schema: z.toJSONSchema(entry.schema, { unrepresentable: 'any' }),
      sample: loadFixture(entry.name),
      sampleSending: { enabled: sampleSigner !== undefined, keyId: sampleSigner?.keyId ?? null },
    }
  })

  api.post('/api/catalog/:name/send', { schema: schema.send }, async (request) => {
    const entry = entryOf(request.params.name)
    if (!sampleSigner) {
      throw new GatewayError(
        'sample_key_not_configured',
        'this gateway has no CONSOLE_SAMPLE_SIGNING_KEY: set it to a private key whose public key the gateway trusts, then restart',
      )
    }
    const body = Buffer.from(JSON.stringify(freshFixture(entry.name)))
    const reply = await app.inject({
      method: 'POST',
      url: receivePath(entry.name),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ghl-gateway console sample',
        ...sampleSigner.sign(body),
      },
      payload: body,
    })
    const answer = reply.json() as {
      status?: 'accepted' | 'duplicate'
      eventId?: string
      error?: { code?: string; message?: string }
    }
    if (reply.statusCode >= 300 || !answer.eventId || !answer.status) {
      const code = answer.error?.code
      throw new GatewayError(
        code !== undefined && code in ERROR_CODES ? (code as ErrorCode) : 'internal_error',
        `the receive path refused the sample (${reply.statusCode}): ${answer.error?.message ?? 'no answer'}`,
      )
    }
    return { eventId: answer.eventId, status: answer.status, keyId: sampleSigner.keyId }
  })
}
