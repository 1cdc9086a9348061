import { useEffect, useState } from 'preact/hooks'
import type {
  DeliveryPageJson,
  DestinationJson,
  DestinationListJson,
  DestinationTestAnswerJson,
} from '../../../src/api/schemas/index.js'
import { api, messageOf } from '../api.js'
import { ErrorNote, Facts, Loading, Notice, StateBadge, TextBlock } from '../components/common.js'
import { href, Link } from '../router.js'
import { Time } from '../time.js'

/** /ui/destinations and /ui/destinations/:id — HTTP destinations: state, circuit, pause/resume, test. */

function circuitText(destination: DestinationJson): string {
  if (!destination.process.running) return 'not running in this process'
  const circuit = destination.process.circuit
  if (!circuit) return 'no circuit breaker'
  return circuit.state.replace('_', '-')
}

export function DestinationsPage() {
  const [list, setList] = useState<DestinationJson[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    api<DestinationListJson>('destinations')
      .then((answer) => setList(answer.data))
      .catch((caught: unknown) => setError(messageOf(caught)))
  }, [])
  if (error) return <ErrorNote message={error} />
  if (!list) return <Loading />
  return (
    <section>
      <h1>Destinations</h1>
      {list.length === 0 ? (
        <div class="empty">
          <p>No HTTP destination yet. Declare one in the config file, for example:</p>
          <TextBlock
            label="Example destination"
            text={
              'destinations:\n  - id: crm-sync\n    url: https://crm.internal/hooks/ghl\n    events: [contact.*]'
            }
          />
          <p>or create one with POST /api/destinations (the same document as JSON).</p>
        </div>
      ) : (
        <table>
          <caption class="offscreen">Destinations</caption>
          <thead>
            <tr>
              <th scope="col">Destination</th>
              <th scope="col">State</th>
              <th scope="col">Circuit</th>
              <th scope="col">Open deliveries</th>
              <th scope="col">Origin</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {list.map((destination) => (
              <tr key={destination.id}>
                <th scope="row">
                  <Link href={href(`destinations/${encodeURIComponent(destination.id)}`)}>
                    {destination.id}
                  </Link>
                </th>
                <td>
                  <StateBadge state={destination.state} />
                  {destination.orphaned && <span class="badge state-orphaned">orphaned</span>}
                </td>
                <td>{circuitText(destination)}</td>
                <td>{destination.openDeliveries}</td>
                <td>{destination.origin === 'config' ? 'config file' : 'API'}</td>
                <td>
                  <Time iso={destination.updatedAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

export function DestinationPage({ id }: { id: string }) {
  const [destination, setDestination] = useState<DestinationJson | null>(null)
  const [recent, setRecent] = useState<DeliveryPageJson | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [test, setTest] = useState<DestinationTestAnswerJson | null>(null)
  const [busy, setBusy] = useState(false)
  const path = `destinations/${encodeURIComponent(id)}`

  useEffect(() => {
    let current = true
    Promise.all([
      api<DestinationJson>(path),
      api<DeliveryPageJson>(`${path}/deliveries`, { query: { limit: 20 } }),
    ])
      .then(([one, page]) => {
        if (!current) return
        setDestination(one)
        setRecent(page)
      })
      .catch((caught: unknown) => current && setError(messageOf(caught)))
    return () => {
      current = false
    }
  }, [path])

  const act = async (what: 'pause' | 'resume' | 'test') => {
    setBusy(true)
    setError(null)
    setNotice(null)
    try {
      if (what === 'test') {
        setTest(
          await api<DestinationTestAnswerJson>(`${path}/test`, {
            method: 'POST',
            body: { event: 'ContactCreate' },
          }),
        )
      } else {
        const body = what === 'pause' ? { reason: 'paused from the console' } : undefined
        setDestination(await api<DestinationJson>(`${path}/${what}`, { method: 'POST', body }))
        setNotice(what === 'pause' ? 'Paused: deliveries are kept, none sent.' : 'Resumed.')
      }
    } catch (caught) {
      setError(messageOf(caught))
    } finally {
      setBusy(false)
    }
  }

  if (!destination) return error ? <ErrorNote message={error} /> : <Loading />
  const running = destination.process.running ? destination.process : null
  return (
    <article>
      <p class="crumbs">
        <Link href={href('destinations')}>Destinations</Link> / {destination.id}
      </p>
      <h1>
        {destination.id} <StateBadge state={destination.state} />
      </h1>
      <ErrorNote message={error} />
      <Notice message={notice} />
      <div class="actions">
        {destination.state === 'paused' ? (
          <button type="button" onClick={() => act('resume')} disabled={busy}>
            Resume
          </button>
        ) : (
          <button
            type="button"
            onClick={() => act('pause')}
            disabled={busy || destination.state === 'disabled'}
          >
            Pause
          </button>
        )}
        <button type="button" class="secondary" onClick={() => act('test')} disabled={busy}>
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
      <Facts
        rows={[
          ['State', `${destination.state}${destination.stateReason ? ` (${destination.stateReason})` : ''}`],
          ['Circuit', circuitText(destination)],
          ['Next probe', running?.circuit?.probeAt ? <Time key="p" iso={running.circuit.probeAt} /> : null],
          [
            'Recent window',
            running?.circuit
              ? `${running.circuit.window.failures} failures in ${running.circuit.window.attempts} attempts`
              : null,
          ],
          [
            'Rate limit',
            running?.rateLimit ? `${running.rateLimit.perSecond}/s (burst ${running.rateLimit.burst})` : null,
          ],
          ['Open deliveries', String(destination.openDeliveries)],
          ['Origin', destination.origin === 'config' ? 'config file' : 'admin API'],
          ['Orphaned', destination.orphaned ? <Time key="o" iso={destination.orphanedAt} /> : 'no'],
        ]}
      />
      <h2>Definition</h2>
      <TextBlock label="Definition (secrets as ***)" text={JSON.stringify(destination.definition, null, 2)} />
      <h2>Recent deliveries</h2>
      {recent && recent.data.length > 0 ? (
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
            {recent.data.map((row) => (
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
    </article>
  )
}
