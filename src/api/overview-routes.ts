import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { DestinationSet } from '../destinations/destination-set.js'
import { healthSummary } from '../observe/health-summary.js'
import { type StatsWindow, statsRange } from '../observe/stats-windows.js'
import type { Store } from '../store/types.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import {
  type OverviewJson,
  type StatsSeriesJson,
  overviewRoutesSchema as schema,
} from './schemas/overview.js'

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
 * over a window, one store operation (store/sql/stats-series.ts).
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

  /**
   * A window's answer is reused for 1/60 of its bucket (1 s over an hour, 2.8 min over a week),
   * and callers asking meanwhile share the one in flight: every console open on the overview
   * refreshes every 10 s, and a week's series reads every row of the week (docs/benchmarks.md).
   */
  const cache = new Map<StatsWindow, { at: number; start: number; answer: Promise<StatsSeriesJson> }>()
  const series = (window: StatsWindow): Promise<StatsSeriesJson> => {
    const at = now()
    const range = statsRange(window, at)
    const kept = cache.get(window)
    if (kept && kept.start === range.start && at - kept.at < Math.max(1000, range.bucketMs / 60))
      return kept.answer
    const answer = store.statsSeries(range).then((s) => ({
      window,
      start: new Date(s.start).toISOString(),
      bucketSeconds: s.bucketMs / 1000,
      received: s.received,
      delivered: s.delivered,
      failed: s.failed,
      backlog: s.backlog,
      dead: s.dead,
    }))
    cache.set(window, { at, start: range.start, answer })
    answer.catch(() => {
      if (cache.get(window)?.answer === answer) cache.delete(window)
    })
    return answer
  }

  api.get('/api/stats/series', { schema: schema.series }, async (request) => series(request.query.window))
}
