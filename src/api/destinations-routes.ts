import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { freshFixture, type GhlEventName, type TypeMapper } from '../catalog/index.js'
import { attemptStats } from '../destinations/attempt-stats.js'
import type { DestinationSet } from '../destinations/destination-set.js'
import type { CircuitSnapshot } from '../destinations/http/circuit-breaker.js'
import { redactSecrets } from '../destinations/redact.js'
import { GatewayError } from '../errors.js'
import { newId } from '../ids.js'
import { classifyGhl, contentHashOf } from '../receive/classify-event.js'
import type { Store, StoredDestination, StoredEvent } from '../store/types.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import { noBodyIsEmpty } from './contract.js'
import { deliveryJson } from './deliveries-routes.js'
import {
  type DestinationAttemptStatsJson,
  type DestinationJson,
  type DestinationProbeAnswerJson,
  type DestinationTestAnswerJson,
  destinationsRoutesSchema as schema,
} from './schemas/destinations.js'

export interface DestinationsRoutesOptions {
  destinations: DestinationSet
  store: Store
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  types: TypeMapper
  now?: () => number
}

/**
 * The destination page's figures: over its last `STATS_ATTEMPTS` attempts among the gateway's last
 * `STATS_SCAN` (one bounded read: src/store/sql/recent-subscriber-attempts.ts).
 */
const STATS_ATTEMPTS = 200
const STATS_SCAN = 5000

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/**
 * /api/destinations — CRUD, pause/resume, "probe now", a synchronous test send, and each destination's
 * deliveries; behind the admin token. Bodies are validated with the config file's schema; secrets
 * come back as `***` (send `***` in a PUT to keep a stored secret). Each destination shows whether
 * it is `orphaned` (src/destinations/config-claims.ts) and its `openDeliveries`.
 */
export async function destinationsRoutes(
  app: FastifyInstance,
  options: DestinationsRoutesOptions,
): Promise<void> {
  const { destinations, store, types } = options
  const now = options.now ?? Date.now
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  const circuitJson = (snapshot: CircuitSnapshot) => ({
    ...snapshot,
    openedAt: iso(snapshot.openedAt),
    probeAt: iso(snapshot.probeAt),
  })

  const view = (row: StoredDestination, open: ReadonlyMap<string, number>): DestinationJson => {
    const runtime = destinations.runtime(row.id)
    const at = now()
    const circuit = runtime?.breaker?.snapshot(at)
    return {
      id: row.id,
      origin: row.origin,
      state: row.state,
      stateReason: row.stateReason,
      /** A config destination no running gateway's config file defines (paused, kept). */
      orphaned: row.orphanedAt !== null,
      orphanedAt: iso(row.orphanedAt),
      openDeliveries: open.get(row.id) ?? 0,
      definition: redactSecrets(row.definition),
      process: runtime
        ? {
            running: true,
            circuit: circuit ? circuitJson(circuit) : null,
            rateLimit: runtime.bucket
              ? {
                  perSecond: runtime.bucket.perSecond,
                  burst: runtime.bucket.burst,
                  tokens: runtime.bucket.available(at),
                }
              : null,
          }
        : { running: false },
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    }
  }

  /** One grouped count over the open-deliveries index for the whole answer. */
  const views = async (rows: readonly StoredDestination[]) => {
    const open = await store.countOpenDeliveries(rows.map((row) => row.id))
    return rows.map((row) => view(row, open))
  }
  const one = async (row: StoredDestination) => (await views([row]))[0]!

  api.get('/api/destinations', { schema: schema.list }, async () => ({
    data: await views(await destinations.admin.list()),
  }))

  api.post('/api/destinations', { schema: schema.create }, async (request, reply) => {
    const row = await destinations.admin.create(request.body)
    return reply.status(201).send(await one(row))
  })

  api.get('/api/destinations/:id', { schema: schema.get }, async (request) =>
    one(await destinations.admin.get(request.params.id)),
  )

  api.put('/api/destinations/:id', { schema: schema.replace }, async (request) =>
    one(await destinations.admin.replace(request.params.id, request.body)),
  )

  api.delete('/api/destinations/:id', { schema: schema.remove }, async (request) =>
    destinations.admin.remove(request.params.id),
  )

  api.post(
    '/api/destinations/:id/pause',
    { schema: schema.pause, preValidation: noBodyIsEmpty },
    async (request) => one(await destinations.admin.pause(request.params.id, request.body.reason)),
  )

  api.post('/api/destinations/:id/resume', { schema: schema.resume }, async (request) =>
    one(await destinations.admin.resume(request.params.id)),
  )

  api.post('/api/destinations/:id/probe', { schema: schema.probe }, async (request, reply) => {
    const row = await destinations.admin.probe(request.params.id)
    const circuit = destinations.runtime(row.id)?.breaker?.snapshot(now())
    const answer: DestinationProbeAnswerJson = {
      destination: row.id,
      requestedAt: new Date(row.probeRequestedAt ?? now()).toISOString(),
      circuit: circuit ? circuitJson(circuit) : null,
    }
    return reply.status(202).send(answer)
  })

  api.post(
    '/api/destinations/:id/test',
    { schema: schema.test, preValidation: noBodyIsEmpty },
    async (request): Promise<DestinationTestAnswerJson> => {
      const { id } = request.params
      const { body } = request
      const row = await destinations.admin.get(id)
      const runtime = destinations.runtime(id)
      if (row.orphanedAt !== null) {
        throw new GatewayError(
          'conflict',
          `destination ${id} is orphaned: no running gateway has it in its config file, and the database keeps no secrets of config destinations; there is nothing to send with`,
        )
      }
      if (!runtime) {
        throw new GatewayError(
          'conflict',
          `destination ${id} does not run in this process (its definition does not load here; see the log)`,
        )
      }
      let event: StoredEvent | undefined
      if ('eventId' in body) {
        event = await store.getEvent(body.eventId)
        if (!event) throw new GatewayError('not_found', `no event ${body.eventId}`)
      } else {
        event = fixtureEvent(body.event, body.data ?? {}, now())
      }
      const sent = await runtime.send(event, { attempt: 1, cycle: 0, deliveryId: 'test', now: now() })
      const { verdict, result } = sent
      return {
        destination: row.id,
        eventId: event.id,
        ok: verdict.kind === 'success',
        verdict: verdict.kind,
        message:
          result.kind === 'error'
            ? `${sent.target}: ${result.error.message}`
            : `${sent.target} ${verdict.message}`,
        errorClass:
          result.kind === 'error' ? result.error.name : verdict.kind === 'success' ? null : verdict.errorName,
        response: result.saved,
      }
    },
  )

  api.get('/api/destinations/:id/attempts', { schema: schema.attempts }, async (request) => {
    await destinations.admin.get(request.params.id)
    const recent = await store.recentSubscriberAttempts(request.params.id, STATS_ATTEMPTS, STATS_SCAN)
    const stats = attemptStats(recent)
    const answer: DestinationAttemptStatsJson = {
      scanned: STATS_SCAN,
      attempts: stats.attempts,
      successRate: stats.successRate,
      p50Ms: stats.p50Ms,
      p95Ms: stats.p95Ms,
      since: iso(stats.since),
      data: recent
        .slice(0, request.query.limit)
        .map((a) => ({ ...a, startedAt: new Date(a.startedAt).toISOString() })),
    }
    return answer
  })

  api.get('/api/destinations/:id/deliveries', { schema: schema.deliveries }, async (request) => {
    const { query } = request
    await destinations.admin.get(request.params.id)
    const page = await store.listDeliveries(
      { subscriberId: request.params.id, states: query.state ? [query.state] : undefined },
      { limit: query.limit, cursor: query.cursor },
    )
    return { data: page.items.map((d) => deliveryJson(d, types)), nextCursor: page.nextCursor }
  })
}

/** A catalog fixture as an event that is never stored (test sends). */
function fixtureEvent(name: GhlEventName, overrides: Record<string, unknown>, now: number): StoredEvent {
  const body = freshFixture(name, overrides as never, new Date(now))
  const raw = Buffer.from(JSON.stringify(body), 'utf8')
  const flags = ['test']
  const { fields, webhookId } = classifyGhl(body, undefined, flags)
  return {
    id: newId('evt', now),
    source: 'ghl',
    dedupeKey: webhookId ?? 'test',
    webhookId,
    receivedAt: now,
    contentType: 'application/json',
    headers: {},
    rawBody: raw,
    contentHash: contentHashOf(raw),
    verification: { scheme: 'none', verified: false },
    flags,
    eventHint: null,
    ...fields,
    seq: 0,
    bodyBytes: raw.length,
    duplicateCount: 0,
    lastDuplicateAt: null,
  }
}
