import { useEffect, useState } from 'preact/hooks'
import type { DestinationJson, DestinationListJson } from '../../../src/api/schemas/index.js'
import { api, messageOf } from '../api.js'
import { ErrorNote, Loading, StateBadge, TextBlock } from '../components/common.js'
import { href, Link } from '../router.js'
import { Time } from '../time.js'

/** /ui/destinations — HTTP destinations: state, circuit, open deliveries (one: ./destination.tsx). */

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
