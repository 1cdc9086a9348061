import { z } from 'zod'
import { STATS_WINDOWS } from '../../observe/stats-windows.js'
import { errorResponses } from './errors.js'
import { answer, count, isoTime } from './shared.js'

/** GET /api/overview and GET /api/stats/series: the console's landing page. */

export const healthSummarySchema = z
  .object({
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    reasons: z.array(z.string()).meta({ description: 'Why the status is not healthy, worst first.' }),
    eventsLastHour: count,
    attemptsLastHour: count,
    successRate: z
      .number()
      .nullable()
      .meta({ description: 'Succeeded / all attempts in the last hour; null without attempts.' }),
    avgProcessingMs: z.number().nullable(),
    p95ProcessingMs: z.number().nullable(),
    queueDepth: count.meta({ description: 'Open deliveries.' }),
    oldestPendingSeconds: z.number().meta({ description: 'How long the oldest due delivery has waited.' }),
    deadCount: count.meta({ description: 'Deliveries in the dead-letter queue.' }),
    deadLastHour: count,
  })
  .meta({ id: 'HealthSummary', description: 'What GET /health computes (src/observe/health-summary.ts).' })

const attentionSchema = z.object({
  id: z.string(),
  state: z.enum(['active', 'paused', 'disabled']),
  stateReason: z.string().nullable(),
  orphaned: z.boolean(),
  circuit: z
    .enum(['closed', 'open', 'half_open'])
    .nullable()
    .meta({ description: 'Its circuit breaker in the process that answered; null when it has none here.' }),
})

export const overviewSchema = z
  .object({
    health: healthSummarySchema,
    destinations: z.object({
      total: count,
      active: count,
      paused: count,
      disabled: count,
      orphaned: count,
      circuitOpen: count.meta({ description: 'Whose circuit is open or half-open in this process.' }),
      attention: z.array(attentionSchema).meta({
        description:
          'The destinations that are not active with a closed circuit: paused, disabled, orphaned, open.',
      }),
    }),
  })
  .meta({ id: 'Overview' })

export const seriesQuery = z.object({
  window: z
    .enum(STATS_WINDOWS)
    .default('1h')
    .meta({ description: 'How far back: the last hour, 6 hours, 24 hours or 7 days, in 60 buckets.' }),
})

const perBucket = (description: string) => z.array(count).meta({ description })

export const seriesSchema = z
  .object({
    window: z.enum(STATS_WINDOWS),
    start: isoTime.meta({ description: 'Where the first bucket starts.' }),
    bucketSeconds: z.number().meta({ description: 'Each bucket’s width; the last one ends after now.' }),
    received: perBucket('Events received in each bucket.'),
    delivered: perBucket('Attempts that succeeded, by start time.'),
    failed: perBucket('Attempts that failed (retried or dead-lettered after them), by start time.'),
    backlog: perBucket(
      'Open deliveries at the end of each bucket, from each delivery’s current cycle (a replay’s earlier cycles are not kept).',
    ),
    dead: perBucket(
      'Dead-letter queue size at the end of each bucket (the deliveries dead now, from when they died).',
    ),
  })
  .meta({ id: 'StatsSeries' })

const tags = ['overview']

export const overviewRoutesSchema = {
  overview: {
    summary: 'The health summary and the destinations’ states (the console’s overview)',
    tags,
    response: { 200: answer('The overview', overviewSchema), ...errorResponses() },
  },
  series: {
    summary: 'Received, delivered, failed, backlog and DLQ size over time, in 60 buckets',
    tags,
    querystring: seriesQuery,
    response: { 200: answer('The series', seriesSchema), ...errorResponses('invalid_request') },
  },
}

export type OverviewJson = z.infer<typeof overviewSchema>
export type StatsSeriesJson = z.infer<typeof seriesSchema>
export type HealthSummaryJson = z.infer<typeof healthSummarySchema>
