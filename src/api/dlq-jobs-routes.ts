import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { storedTypesOf, type TypeMapper } from '../catalog/index.js'
import { GatewayError } from '../errors.js'
import { newId } from '../ids.js'
import type { DlqFilter, DlqJob, Store } from '../store/types.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import {
  DLQ_COUNT_CAP,
  type DlqJobJson,
  type dlqCountQuery,
  dlqJobsRoutesSchema as schema,
} from './schemas/dlq-jobs.js'

export interface DlqJobsRoutesOptions {
  store: Store
  access: AdminAccess
  types: TypeMapper
  /** A job was created: the runner looks now rather than at its next poll. */
  onJob: () => void
  /**
   * A replay job was created for these subscribers (undefined: any): a destination whose circuit
   * is open probes at once instead of holding the replayed deliveries for its cooldown
   * (DestinationAdmin.probeAfterReplay, as the single replay does).
   */
  onReplayed?: (subscriberIds: readonly string[] | undefined) => Promise<void>
  now?: () => number
}

/** Jobs listed at most by GET /api/dlq/jobs. */
const RECENT_JOBS = 20

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export function dlqJobJson(job: DlqJob): DlqJobJson {
  const { filter } = job
  return {
    id: job.id,
    action: job.action,
    state: job.state,
    filter: {
      types: filter.eventTypes && [...filter.eventTypes],
      subscriber: filter.subscriberId,
      tenant: filter.tenantId,
      error: filter.error,
      fingerprint: filter.fingerprint,
      since: filter.since === undefined ? undefined : new Date(filter.since).toISOString(),
      until: filter.until === undefined ? undefined : new Date(filter.until).toISOString(),
    },
    deadBefore: new Date(job.deadBefore).toISOString(),
    total: job.total,
    totalCapped: job.totalCapped,
    done: job.done,
    error: job.error,
    createdAt: new Date(job.createdAt).toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    updatedAt: new Date(job.updatedAt).toISOString(),
  }
}

/**
 * /api/dlq/count, /api/dlq/groups, /api/dlq/jobs — the dead-letter queue in bulk: count first,
 * then a background job (its progress readable from any process), and the queue grouped by error.
 */
export async function dlqJobsRoutes(app: FastifyInstance, options: DlqJobsRoutesOptions): Promise<void> {
  const { store, types } = options
  const now = options.now ?? Date.now
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  const toFilter = (q: z.output<typeof dlqCountQuery>): DlqFilter => {
    const filter: DlqFilter = {
      eventTypes: q.type === undefined ? undefined : storedTypesOf(q.type, types),
      subscriberId: q.subscriber,
      tenantId: q.tenant,
      error: q.error,
      fingerprint: q.fingerprint,
      since: q.since,
      until: q.until,
    }
    // Stored as JSON: no undefined keys.
    return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as DlqFilter
  }

  api.get('/api/dlq/count', { schema: schema.count }, async (request) => ({
    ...(await store.countDead(toFilter(request.query), DLQ_COUNT_CAP)),
    cap: DLQ_COUNT_CAP,
  }))

  api.get('/api/dlq/groups', { schema: schema.groups }, async (request) => {
    const { scan } = request.query
    const { groups, scanned } = await store.deadGroups(toFilter(request.query), scan)
    return {
      data: groups.map((g) => ({
        subscriber: g.subscriberId,
        fingerprint: g.fingerprint,
        sampleError: g.sampleError,
        sampleDeliveryId: g.sampleDeliveryId,
        count: g.count,
        firstDeadAt: new Date(g.firstDeadAt).toISOString(),
        lastDeadAt: new Date(g.lastDeadAt).toISOString(),
      })),
      scanned,
      scanLimit: scan,
      complete: scanned < scan,
    }
  })

  api.post('/api/dlq/jobs', { schema: schema.create }, async (request, reply) => {
    const { action, expectedCount } = request.body
    const filter = toFilter(request.body.filter)
    const { count, capped } = await store.countDead(filter, DLQ_COUNT_CAP)
    if (expectedCount !== undefined && (capped || count > expectedCount)) {
      throw new GatewayError(
        'conflict',
        `${count}${capped ? '+' : ''} dead deliveries match now, more than the ${expectedCount} confirmed; count again and confirm the new number`,
      )
    }
    const job = await store.createDlqJob({
      id: newId('job'),
      action,
      filter,
      total: count,
      totalCapped: capped,
      now: now(),
    })
    options.onJob()
    if (action === 'replay' && count > 0)
      await options.onReplayed?.(filter.subscriberId === undefined ? undefined : [filter.subscriberId])
    return reply.code(202).send(dlqJobJson(job))
  })

  api.get('/api/dlq/jobs', { schema: schema.list }, async () => ({
    data: (await store.listDlqJobs(RECENT_JOBS)).map(dlqJobJson),
  }))

  api.get('/api/dlq/jobs/:id', { schema: schema.get }, async (request) => {
    const job = await store.getDlqJob(request.params.id)
    if (!job) throw new GatewayError('not_found', `no dlq job ${request.params.id}`)
    return dlqJobJson(job)
  })

  api.delete('/api/dlq/jobs/:id', { schema: schema.cancel }, async (request) => {
    const { job, cancelled } = await store.cancelDlqJob(request.params.id, now())
    if (!job) throw new GatewayError('not_found', `no dlq job ${request.params.id}`)
    if (!cancelled) {
      throw new GatewayError(
        'conflict',
        `dlq job ${job.id} is ${job.state}: only a queued or running job can be cancelled`,
      )
    }
    return dlqJobJson(job)
  })
}
