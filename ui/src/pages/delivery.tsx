import { useEffect, useState } from 'preact/hooks'
import type { DeliveryDetailJson, ReplayAnswerJson } from '../../../src/api/schemas/index.js'
import { api, messageOf } from '../api.js'
import { AttemptsTable } from '../components/attempts.js'
import { ErrorNote, Facts, Loading, StateBadge } from '../components/common.js'
import { href, Link } from '../router.js'
import { Time } from '../time.js'

/** /ui/deliveries/:id — one delivery (one event to one subscriber): state, attempts, replay, purge. */
export function DeliveryPage({ id }: { id: string }) {
  const [delivery, setDelivery] = useState<DeliveryDetailJson | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [version, setVersion] = useState(0)

  useEffect(() => {
    let current = true
    api<DeliveryDetailJson>(`deliveries/${encodeURIComponent(id)}`)
      .then((answer) => current && setDelivery(answer))
      .catch((caught: unknown) => current && setError(messageOf(caught)))
    return () => {
      current = false
    }
  }, [id, version])

  const act = async (what: 'replay' | 'purge') => {
    setError(null)
    setNotice(null)
    try {
      if (what === 'replay') {
        const answer = await api<ReplayAnswerJson>('replay', { method: 'POST', body: { deliveryId: id } })
        setNotice(answer.replayed ? 'Replayed: a new cycle started.' : 'Nothing to replay (still open?).')
      } else {
        await api(`dlq/${encodeURIComponent(id)}`, { method: 'DELETE' })
        setNotice('Purged: the delivery is discarded (kept, and can still be replayed).')
      }
      setVersion((v) => v + 1)
    } catch (caught) {
      setError(messageOf(caught))
    }
  }

  if (!delivery) return error ? <ErrorNote message={error} /> : <Loading />
  const finished = ['succeeded', 'dead', 'discarded'].includes(delivery.state)
  return (
    <article>
      <p class="crumbs">
        <Link href={href(`events/${encodeURIComponent(delivery.eventId)}`)}>Event {delivery.eventId}</Link> /
        delivery {delivery.id}
      </p>
      <h1>
        {delivery.subscriber} <StateBadge state={delivery.state} />
      </h1>
      <ErrorNote message={error} />
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <div class="actions">
        <button type="button" onClick={() => act('replay')} disabled={!finished}>
          Replay
        </button>
        {delivery.state === 'dead' && (
          <button type="button" class="danger" onClick={() => act('purge')}>
            Purge
          </button>
        )}
        <button type="button" class="secondary" onClick={() => setVersion((v) => v + 1)}>
          Refresh
        </button>
      </div>
      <Facts
        rows={[
          ['Event', `${delivery.event.name ?? delivery.type} (${delivery.type})`],
          ['Cycle', String(delivery.cycle)],
          ['Attempts', `${delivery.attemptsInCycle} in this cycle, ${delivery.totalAttempts} in all`],
          ['Last error', delivery.lastError],
          ['Created', <Time key="c" iso={delivery.createdAt} />],
          ['Updated', <Time key="u" iso={delivery.updatedAt} />],
          ['Next run', finished ? null : <Time key="n" iso={delivery.runAt} />],
          ['Completed', <Time key="d" iso={delivery.completedAt} />],
        ]}
      />
      <h2>Attempts</h2>
      <AttemptsTable attempts={delivery.attemptHistory} caption="Every attempt, oldest first" />
    </article>
  )
}
