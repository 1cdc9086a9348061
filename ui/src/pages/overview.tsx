import { useEffect, useRef } from 'preact/hooks'
import type { EventPageJson, OverviewJson, StatsSeriesJson } from '../../../src/api/schemas/index.js'
import { STATS_WINDOWS, type StatsWindow } from '../../../src/observe/stats-windows.js'
import { apiUrl } from '../api.js'
import { Chart } from '../components/chart.js'
import { ErrorNote, Facts, Loading, StateBadge } from '../components/common.js'
import { NoEventsYet } from '../components/empty.js'
import { useResource } from '../resource.js'
import { href, Link } from '../router.js'

/**
 * /ui (and /ui/overview): the console's landing page. The health summary GET /health computes,
 * the destinations that need attention, and charts over the window in `?window=` (1h by default).
 * Everything refreshes every 10 s while the page is visible, and about a second after the live
 * stream reports an event or an attempt; the previous numbers stay until the new ones arrive.
 */

const WINDOW_LABELS: Record<StatsWindow, string> = {
  '1h': 'Last hour',
  '6h': 'Last 6 hours',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
}

const REFRESH_MS = 10_000
/** After a live-stream message: soon, and at most once per this long. */
const STREAM_REFRESH_MS = 1000

export function windowOf(query: URLSearchParams): StatsWindow {
  const asked = query.get('window')
  return (STATS_WINDOWS as readonly string[]).includes(asked ?? '') ? (asked as StatsWindow) : '1h'
}

export function OverviewPage({ query }: { query: URLSearchParams }) {
  const chosen = windowOf(query)
  const overview = useResource<OverviewJson>('overview')
  const series = useResource<StatsSeriesJson>(`stats/series?window=${chosen}`)
  const firstEvent = useResource<EventPageJson>('events?limit=1')
  const noEvents = firstEvent.data !== null && firstEvent.data.data.length === 0

  useAutoRefresh(() => {
    overview.reload()
    series.reload()
    if (firstEvent.data?.data.length !== 1) firstEvent.reload()
  })

  return (
    <section class="overview">
      <h1>Overview</h1>
      <ErrorNote message={overview.error ?? series.error ?? firstEvent.error} />
      {overview.data ? <Health health={overview.data.health} /> : <Loading />}
      {noEvents && <NoEventsYet filtered={false} />}
      <h2 id="charts-heading">Over time</h2>
      <nav class="windows" aria-label="Chart window">
        {STATS_WINDOWS.map((w) => (
          <Link
            key={w}
            href={href('overview', { window: w })}
            aria-current={w === chosen ? 'page' : undefined}
          >
            {WINDOW_LABELS[w]}
          </Link>
        ))}
      </nav>
      {series.data ? <Charts series={series.data} /> : <Loading />}
      {overview.data && <Destinations states={overview.data.destinations} />}
    </section>
  )
}

function Health({ health }: { health: OverviewJson['health'] }) {
  const ms = (value: number | null) => (value === null ? null : `${value.toFixed(1)} ms`)
  return (
    <section aria-labelledby="health-heading">
      <h2 id="health-heading">
        Health <StateBadge state={health.status} />
      </h2>
      {health.reasons.length > 0 && (
        <ul class="reasons">
          {health.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      )}
      <Facts
        rows={[
          ['Events in the last hour', String(health.eventsLastHour)],
          [
            'Success rate (last hour)',
            health.successRate === null
              ? `no attempts`
              : `${(health.successRate * 100).toFixed(1)} % of ${health.attemptsLastHour} attempts`,
          ],
          [
            'Processing time (recent attempts)',
            health.avgProcessingMs === null
              ? null
              : `${ms(health.avgProcessingMs)} average, ${ms(health.p95ProcessingMs)} p95`,
          ],
          ['Queue depth (open deliveries)', String(health.queueDepth)],
          ['Oldest due delivery has waited', `${health.oldestPendingSeconds} s`],
          [
            'Dead letters',
            <Link key="dlq" href={href('dlq')}>
              {health.deadCount} in the queue, {health.deadLastHour} in the last hour
            </Link>,
          ],
        ]}
      />
    </section>
  )
}

/** Per second with two significant digits, so 0.05/s and 120/s both read. */
const perSecond = (value: number) =>
  value === 0 ? '0' : value >= 100 ? value.toFixed(0) : value.toPrecision(2).replace(/\.?0+$/, '')
const whole = (value: number) => String(Math.round(value))

function Charts({ series }: { series: StatsSeriesJson }) {
  const start = Date.parse(series.start)
  const bucketMs = series.bucketSeconds * 1000
  const total = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0)
  const peak = (values: readonly number[]) => Math.max(0, ...values)
  const last = (values: readonly number[]) => values.at(-1) ?? 0
  const rate = (values: readonly number[]) => values.map((v) => v / series.bucketSeconds)
  const common = { start, bucketMs }
  return (
    <div class="charts">
      <Chart
        {...common}
        id="chart-received"
        title="Received / s"
        unit="events per second"
        values={rate(series.received)}
        shape="bars"
        tone="received"
        format={perSecond}
        summary={`${total(series.received)} received in this window, peak ${perSecond(peak(rate(series.received)))}/s`}
      />
      <Chart
        {...common}
        id="chart-delivered"
        title="Delivered / s"
        unit="successful attempts per second"
        values={rate(series.delivered)}
        shape="bars"
        tone="delivered"
        format={perSecond}
        summary={`${total(series.delivered)} delivered in this window, peak ${perSecond(peak(rate(series.delivered)))}/s`}
      />
      <Chart
        {...common}
        id="chart-failed"
        title="Failures"
        unit="failed attempts"
        values={series.failed}
        shape="bars"
        tone="failed"
        format={whole}
        whole
        summary={`${total(series.failed)} failed attempts in this window`}
      />
      <Chart
        {...common}
        id="chart-backlog"
        title="Backlog"
        unit="open deliveries at the bucket's end"
        values={series.backlog}
        shape="level"
        tone="backlog"
        format={whole}
        whole
        summary={`${last(series.backlog)} open now, peak ${peak(series.backlog)}`}
      />
      <Chart
        {...common}
        id="chart-dead"
        title="Dead-letter queue"
        unit="dead deliveries at the bucket's end"
        values={series.dead}
        shape="level"
        tone="dead"
        format={whole}
        whole
        summary={`${last(series.dead)} now, peak ${peak(series.dead)}`}
      />
    </div>
  )
}

function Destinations({ states }: { states: OverviewJson['destinations'] }) {
  return (
    <section aria-labelledby="destinations-heading">
      <h2 id="destinations-heading">Destinations</h2>
      {states.total === 0 ? (
        <p class="muted">
          No HTTP destinations. Add one in the config file or with <code>POST /api/destinations</code>; see{' '}
          <Link href={href('destinations')}>Destinations</Link>.
        </p>
      ) : (
        <>
          <Facts
            rows={[
              ['Total', String(states.total)],
              ['Active', String(states.active)],
              ['Paused', String(states.paused)],
              ['Disabled', String(states.disabled)],
              ['Orphaned', String(states.orphaned)],
              ['Circuit open', String(states.circuitOpen)],
            ]}
          />
          {states.attention.length === 0 ? (
            <p>All active, every circuit closed.</p>
          ) : (
            <table>
              <caption>Destinations that need attention</caption>
              <thead>
                <tr>
                  <th scope="col">Destination</th>
                  <th scope="col">State</th>
                  <th scope="col">Circuit</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {states.attention.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Link href={href(`destinations/${encodeURIComponent(d.id)}`)}>{d.id}</Link>
                    </td>
                    <td>
                      <StateBadge state={d.state} />
                      {d.orphaned && <StateBadge state="orphaned" />}
                    </td>
                    <td>
                      {d.circuit === null ? <span class="muted">—</span> : <StateBadge state={d.circuit} />}
                    </td>
                    <td>{d.stateReason ?? <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  )
}

/**
 * Calls `refresh` every REFRESH_MS while the page is visible (and at once when it becomes visible
 * again), and STREAM_REFRESH_MS after the live stream reports something.
 */
function useAutoRefresh(refresh: () => void): void {
  const latest = useRef(refresh)
  latest.current = refresh
  useEffect(() => {
    const run = () => {
      if (document.visibilityState === 'visible') latest.current()
    }
    const timer = window.setInterval(run, REFRESH_MS)
    let soon: number | undefined
    const stream = new EventSource(apiUrl('stream'))
    const onMessage = () => {
      if (soon === undefined)
        soon = window.setTimeout(() => {
          soon = undefined
          run()
        }, STREAM_REFRESH_MS)
    }
    stream.addEventListener('event', onMessage)
    stream.addEventListener('delivery', onMessage)
    document.addEventListener('visibilitychange', run)
    return () => {
      window.clearInterval(timer)
      window.clearTimeout(soon)
      stream.close()
      document.removeEventListener('visibilitychange', run)
    }
  }, [])
}
