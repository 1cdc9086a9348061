import { useEffect, useRef, useState } from 'preact/hooks'
import type {
  DeliveryPageJson,
  DestinationAttemptStatsJson,
  DestinationDeleteAnswerJson,
  DestinationJson,
  DestinationProbeAnswerJson,
  DestinationTestAnswerJson,
} from '../../../src/api/schemas/index.js'
import { api } from '../api.js'
import { ErrorNote, Facts, Loading, Notice, StateBadge, TextBlock } from '../components/common.js'
import { useResource } from '../resource.js'
import { href, Link, navigate } from '../router.js'
import { Time } from '../time.js'

/**
 * /ui/destinations/:id — one HTTP destination: its state and circuit breaker (with "probe now"),
 * rate limit, success rate and latency over its recent attempts, the attempts themselves, its
 * recent deliveries, and the actions (pause/resume, test, probe, delete an orphan). While the
 * circuit is not closed the page refreshes itself every two seconds, so a probe is seen landing.
 */

type Circuit = NonNullable<Extract<DestinationJson['process'], { running: true }>['circuit']>

const REFRESH_MS = 2000
/** Refreshes after the circuit closed, so the probe's attempt shows. */
const AFTER_CLOSING_REFRESHES = 3

const circuitLabel = (state: Circuit['state']) => state.replace('_', '-')

const percent = (rate: number | null) =>
  rate === null ? null : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)}%`
const ms = (value: number | null) => (value === null ? null : `${Math.round(value)} ms`)

export function DestinationPage({ id }: { id: string }) {
  const path = `destinations/${encodeURIComponent(id)}`
  const destination = useResource<DestinationJson>(path)
  const attempts = useResource<DestinationAttemptStatsJson>(`${path}/attempts?limit=20`)
  const deliveries = useResource<DeliveryPageJson>(`${path}/deliveries?limit=20`)
  const [test, setTest] = useState<DestinationTestAnswerJson | null>(null)
  const [confirmDelete, setConfirmDelete] = useState(false)
  const [busy, setBusy] = useState(false)

  const d = destination.data
  const running = d?.process.running ? d.process : null
  const circuit = running?.circuit ?? null
  const settling = circuit !== null && circuit.state !== 'closed'
  const wasSettling = useRef(false)

  // Not closed: keep looking until it is (a probe lands within a delivery's time), and a few
  // times after: the breaker closes when the probe answers, its attempt is committed just after.
  useEffect(() => {
    let after = settling ? Number.POSITIVE_INFINITY : 0
    if (!settling && !wasSettling.current) return
    wasSettling.current = settling
    if (!settling) after = AFTER_CLOSING_REFRESHES
    const timer = setInterval(() => {
      if (after-- <= 0) return clearInterval(timer)
      destination.reload()
      attempts.reload()
      deliveries.reload()
    }, REFRESH_MS)
    return () => clearInterval(timer)
  }, [settling])

  const run = async (action: () => Promise<string>) => {
    setBusy(true)
    await destination.act(action)
    attempts.reload()
    deliveries.reload()
    setBusy(false)
  }

  const pause = () =>
    run(async () => {
      await api(`${path}/pause`, { method: 'POST', body: { reason: 'paused from the console' } })
      return 'Paused: deliveries are kept, none sent.'
    })
  const resume = () =>
    run(async () => {
      await api(`${path}/resume`, { method: 'POST' })
      return 'Resumed.'
    })
  const probe = () =>
    run(async () => {
      const answer = await api<DestinationProbeAnswerJson>(`${path}/probe`, { method: 'POST' })
      return answer.circuit?.state === 'half_open'
        ? 'Probing: the circuit is half-open, the next due delivery is the probe.'
        : 'Probe requested. The circuit is closed in this process; any process whose circuit is open probes now.'
    })
  const sendTest = () =>
    run(async () => {
      setTest(
        await api<DestinationTestAnswerJson>(`${path}/test`, {
          method: 'POST',
          body: { event: 'ContactCreate' },
        }),
      )
      return 'Test sent (no delivery, no effect on the circuit).'
    })
  const remove = async () => {
    setBusy(true)
    try {
      const answer = await api<DestinationDeleteAnswerJson>(path, { method: 'DELETE' })
      if (answer.deleted) navigate(href('destinations'))
    } finally {
      setBusy(false)
    }
  }

  if (!d) return destination.error ? <ErrorNote message={destination.error} /> : <Loading />
  return (
    <article>
      <p class="crumbs">
        <Link href={href('destinations')}>Destinations</Link> / {d.id}
      </p>
      <h1>
        {d.id} <StateBadge state={d.state} />
        {d.orphaned && <span class="badge state-orphaned">orphaned</span>}
      </h1>
      <ErrorNote message={destination.error} />
      <Notice message={destination.notice} />
      <div class="actions">
        {d.state === 'paused' ? (
          <button type="button" onClick={resume} disabled={busy || d.orphaned}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={pause} disabled={busy || d.state === 'disabled'}>
            Pause
          </button>
        )}
        <button type="button" class="secondary" onClick={sendTest} disabled={busy || !running}>
          Send a test ContactCreate
        </button>
      </div>
      {test && (
        <div class={test.ok ? 'notice' : 'error'} role="status">
          <p>
            Test {test.ok ? 'succeeded' : 'failed'} ({test.verdict}): {test.message}
          </p>
          {test.response.body !== undefined && (
            <TextBlock label="Test response body" text={test.response.body} />
          )}
        </div>
      )}

      {d.orphaned && (
        <section class="orphan" aria-label="Orphaned">
          <h2>Orphaned</h2>
          <p>
            Orphaned <Time iso={d.orphanedAt} />: no running gateway has this destination in its config file,
            so it is paused and none can send for it. Its {d.openDeliveries} open deliveries are kept. Start a
            gateway with the config file that defines it (it resumes by itself), adopt it with{' '}
            <code>PUT /api/destinations/{d.id}</code> and its full definition, or delete it: its open
            deliveries then go to the dead-letter queue (replayable).
          </p>
          {confirmDelete ? (
            <div class="actions">
              <button type="button" class="danger" onClick={remove} disabled={busy}>
                Delete {d.id} and dead-letter {d.openDeliveries} open deliveries
              </button>
              <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
                Keep it
              </button>
            </div>
          ) : (
            <button type="button" class="secondary" onClick={() => setConfirmDelete(true)}>
              Delete…
            </button>
          )}
        </section>
      )}

      <CircuitPanel destination={d} busy={busy} onProbe={probe} />

      <Facts
        rows={[
          ['State', `${d.state}${d.stateReason ? ` (${d.stateReason})` : ''}`],
          [
            'Rate limit',
            running
              ? running.rateLimit
                ? `${running.rateLimit.perSecond}/s, burst ${running.rateLimit.burst}; ${Math.floor(running.rateLimit.tokens)} tokens now`
                : 'none'
              : null,
          ],
          ['Open deliveries', String(d.openDeliveries)],
          ['Origin', d.origin === 'config' ? 'config file' : 'admin API'],
          ['Updated', <Time key="u" iso={d.updatedAt} />],
        ]}
      />

      <AttemptsSection stats={attempts.data} error={attempts.error} />

      <h2>Recent deliveries</h2>
      {deliveries.data && deliveries.data.data.length > 0 ? (
        <table>
          <caption class="offscreen">Recent deliveries</caption>
          <thead>
            <tr>
              <th scope="col">Updated</th>
              <th scope="col">Delivery</th>
              <th scope="col">Event</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.data.data.map((row) => (
              <tr key={row.id}>
                <td>
                  <Time iso={row.updatedAt} />
                </td>
                <th scope="row">
                  <Link href={href(`deliveries/${encodeURIComponent(row.id)}`)}>{row.id}</Link>
                </th>
                <td>{row.name ?? row.type}</td>
                <td>
                  <StateBadge state={row.state} />
                </td>
                <td>{row.totalAttempts}</td>
                <td class="wrap">{row.lastError ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No delivery to this destination yet.</p>
      )}

      <h2>Definition</h2>
      <TextBlock label="Definition (secrets as ***)" text={JSON.stringify(d.definition, null, 2)} />
    </article>
  )
}

function CircuitPanel({
  destination,
  busy,
  onProbe,
}: {
  destination: DestinationJson
  busy: boolean
  onProbe: () => void
}) {
  const running = destination.process.running ? destination.process : null
  const circuit = running?.circuit ?? null
  return (
    <section class="circuit" aria-label="Circuit breaker">
      <h2>Circuit breaker</h2>
      {!running ? (
        <p class="muted">
          Not running in the process that answered (an orphan, or a definition that does not load here: see
          its log), so no circuit to show.
        </p>
      ) : !circuit ? (
        <p class="muted">No circuit breaker (circuitBreaker: false in its definition).</p>
      ) : (
        <>
          <p>
            <span class={`badge circuit-${circuit.state}`} data-testid="circuit-state">
              {circuitLabel(circuit.state)}
            </span>{' '}
            {circuit.state === 'closed' && 'Deliveries run.'}
            {circuit.state === 'open' && (
              <>
                Nothing is sent; next probe <Time iso={circuit.probeAt} />.
              </>
            )}
            {circuit.state === 'half_open' && 'Probing: the next due delivery decides (success closes it).'}
          </p>
          <Facts
            rows={[
              ['Opened', circuit.openedAt ? <Time key="o" iso={circuit.openedAt} /> : null],
              ['Next probe', circuit.probeAt ? <Time key="p" iso={circuit.probeAt} /> : null],
              ['Cooldown', `${Math.round(circuit.cooldownMs / 1000)} s`],
              ['Recent window', `${circuit.window.failures} failures in ${circuit.window.attempts} attempts`],
            ]}
          />
          <div class="actions">
            <button
              type="button"
              onClick={onProbe}
              disabled={busy || destination.state !== 'active' || circuit.state !== 'open'}
            >
              Probe now
            </button>
            <span class="muted">
              The breaker of the process that answered; each gateway process keeps its own, and "probe now"
              reaches them all.
            </span>
          </div>
        </>
      )}
    </section>
  )
}

function AttemptsSection({
  stats,
  error,
}: {
  stats: DestinationAttemptStatsJson | null
  error: string | null
}) {
  if (error) return <ErrorNote message={error} />
  if (!stats) return <Loading />
  return (
    <section aria-label="Recent attempts">
      <h2>Recent attempts</h2>
      <Facts
        rows={[
          ['Success rate', percent(stats.successRate)],
          ['Latency p50', ms(stats.p50Ms)],
          ['Latency p95', ms(stats.p95Ms)],
          ['Counted', `${stats.attempts} attempts`],
        ]}
      />
      {stats.since && (
        <p class="muted">
          Since <Time iso={stats.since} />, among the gateway's last {stats.scanned.toLocaleString('en-US')}{' '}
          attempts (all destinations).
        </p>
      )}
      {stats.data.length > 0 ? (
        <table>
          <caption class="offscreen">Recent attempts</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Delivery</th>
              <th scope="col">Attempt</th>
              <th scope="col">Outcome</th>
              <th scope="col">Status</th>
              <th scope="col">Duration</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {stats.data.map((a) => (
              <tr key={a.id}>
                <td>
                  <Time iso={a.startedAt} />
                </td>
                <th scope="row">
                  <Link href={href(`deliveries/${encodeURIComponent(a.deliveryId)}`)}>{a.deliveryId}</Link>
                </th>
                <td>
                  {a.number}
                  {a.cycle > 0 ? ` (replay ${a.cycle})` : ''}
                </td>
                <td>
                  <StateBadge state={a.outcome} />
                </td>
                <td>{a.status ?? '—'}</td>
                <td>{ms(a.durationMs)}</td>
                <td class="wrap">{a.errorMessage ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">
          No attempt to this destination among the gateway's last {stats.scanned.toLocaleString('en-US')}{' '}
          attempts. A matching webhook creates a delivery; "Send a test ContactCreate" tries the endpoint
          without one.
        </p>
      )}
    </section>
  )
}
