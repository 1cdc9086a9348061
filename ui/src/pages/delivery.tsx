import type { DeliveryDetailJson, ReplayAnswerJson } from '../../../src/api/schemas/index.js'
import { FINISHED_STATES } from '../../../src/store/delivery-states.js'
import { api } from '../api.js'
import { AttemptsTable } from '../components/attempts.js'
import { ErrorNote, Facts, Loading, Notice, StateBadge } from '../components/common.js'
import { useResource } from '../resource.js'
import { href, Link } from '../router.js'
import { Time } from '../time.js'

/** /ui/deliveries/:id — one delivery (one event to one subscriber): state, attempts, replay, purge. */
export function DeliveryPage({ id }: { id: string }) {
  const {
    data: delivery,
    error,
    notice,
    reload,
    act,
  } = useResource<DeliveryDetailJson>(`deliveries/${encodeURIComponent(id)}`)
  const replay = () =>
    act(async () => {
      const answer = await api<ReplayAnswerJson>('replay', { method: 'POST', body: { deliveryId: id } })
      return answer.replayed ? 'Replayed: a new cycle started.' : 'Nothing to replay (still open?).'
    })
  const purge = () =>
    act(async () => {
      await api(`dlq/${encodeURIComponent(id)}`, { method: 'DELETE' })
      return 'Purged: the delivery is discarded (kept, and can still be replayed).'
    })

  if (!delivery) return error ? <ErrorNote message={error} /> : <Loading />
  const finished = (FINISHED_STATES as readonly string[]).includes(delivery.state)
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
      <Notice message={notice} />
      <div class="actions">
        <button type="button" onClick={replay} disabled={!finished}>
          Replay
        </button>
        {delivery.state === 'dead' && (
          <button type="button" class="danger" onClick={purge}>
            Purge
          </button>
        )}
        <button type="button" class="secondary" onClick={reload}>
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
