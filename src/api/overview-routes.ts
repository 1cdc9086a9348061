import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { DestinationSet } from '../destinations/destination-set.js'
import { healthSummary } from '../observe/health-summary.js'
import { statsRange } from '../observe/stats-windows.js'
import type { Store } from '../store/types.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import {
  type OverviewJson,
  type StatsSeriesJson,
  overviewRoutesSchema as schema,
} from './schemas/overview.js'
import { SeriesCache } from './series-cache.js'

export interface OverviewRoutesOptions {
  store: Store
  /** Absent when the gateway runs without HTTP destinations (library mode). */
  destinations?: DestinationSet
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  now?: () => number
}

/**
 * The console's landing page. /api/overview: the health summary GET /health computes (the same
 * function over the same store call) with the destinations' states; /api/stats/series: the charts
 * over a window, one store operation (store/sql/stats-series.ts) asked bucket by bucket, settled
 * buckets kept (series-cache.ts).
 */
export async function overviewRoutes(app: FastifyInstance, options: OverviewRoutesOptions): Promise<void> {
  const { store, destinations } = options
  const now = options.now ?? Date.now
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  const destinationStates = async (at: number): Promise<OverviewJson['destinations']> => {
    const rows = destinations ? await destinations.admin.list() : []
    const views = rows.map((row) => ({
      id: row.id,
      state: row.state,
      stateReason: row.stateReason,
      orphaned: row.orphanedAt !== null,
      circuit: destinations?.runtime(row.id)?.breaker?.snapshot(at).state ?? null,
    }))
    const counted = (test: (view: (typeof views)[number]) => boolean) => views.filter(test).length
    const opened = (view: (typeof views)[number]) => view.circuit === 'open' || view.circuit === 'half_open'
    return {
      total: views.length,
      active: counted((view) => view.state === 'active'),
      paused: counted((view) => view.state === 'paused'),
      disabled: counted((view) => view.state === 'disabled'),
      orphaned: counted((view) => view.orphaned),
      circuitOpen: counted(opened),
      attention: views.filter((view) => view.state !== 'active' || view.orphaned || opened(view)),
    }
  }

  api.get('/api/overview', { schema: schema.overview }, async (): Promise<OverviewJson> => {
    const at = now()
    const [stats, states] = await Promise.all([store.processingStats(at), destinationStates(at)])
    return { health: healthSummary(stats, at), destinations: states }
  })

  const cache = new SeriesCache(store)

  api.get('/api/stats/series', { schema: schema.series }, async (request): Promise<StatsSeriesJson> => {
    const { window } = request.query
    const at = now()
    const series = await cache.series(statsRange(window, at), at)
    return {
      window,
      start: new Date(series.start).toISOString(),
      bucketSeconds: series.bucketMs / 1000,
      received: series.received,
      delivered: series.delivered,
      failed: series.failed,
      backlog: series.backlog,
      dead: series.dead,
    }
  })
}
