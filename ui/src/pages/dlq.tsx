import { useEffect, useRef, useState } from 'preact/hooks'
import type { DeliveryJson, DeliveryPageJson, ReplayAnswerJson } from '../../../src/api/schemas/index.js'
import { api, messageOf } from '../api.js'
import { ErrorNote, Loading, Notice } from '../components/common.js'
import { BulkActions, RecentJobs } from '../components/dlq-bulk.js'
import { DlqGroups } from '../components/dlq-groups.js'
import { href, Link, navigate } from '../router.js'
import { Time } from '../time.js'

/**
 * /ui/dlq — the dead-letter queue: dead deliveries newest first, filtered by the query string;
 * replay or purge one; replay or purge everything the filter matches as a background job (counted
 * first, progress, cancel: components/dlq-bulk.tsx); or the same queue grouped by error
 * (`?view=groups`, components/dlq-groups.tsx).
 */

const DLQ_FILTERS = ['type', 'subscriber', 'tenant', 'error', 'since', 'until'] as const
type Filters = Partial<Record<(typeof DLQ_FILTERS)[number], string>>

export function DlqPage({ query }: { query: URLSearchParams }) {
  const filters: Filters = {}
  for (const key of DLQ_FILTERS) {
    const value = query.get(key)
    if (value) filters[key] = value
  }
  const cursor = query.get('cursor') ?? undefined
  const key = query.toString()
  const [rows, setRows] = useState<DeliveryJson[] | null>(null)
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [version, setVersion] = useState(0)
  const view = query.get('view') === 'groups' ? 'groups' : 'deliveries'
  const reloadAll = () => setVersion((v) => v + 1)

  useEffect(() => {
    let current = true
    setError(null)
    api<DeliveryPageJson>('dlq', { query: { ...filters, cursor, limit: 50 } })
      .then((page) => {
        if (!current) return
        setRows(page.data)
        setNextCursor(page.nextCursor)
      })
      .catch((caught: unknown) => current && setError(messageOf(caught)))
    return () => {
      current = false
    }
  }, [key, version])

  const run = async (what: () => Promise<string>) => {
    setError(null)
    setNotice(null)
    try {
      setNotice(await what())
      setVersion((v) => v + 1)
    } catch (caught) {
      setError(messageOf(caught))
    }
  }

  const replayOne = (row: DeliveryJson) =>
    run(async () => {
      await api<ReplayAnswerJson>('replay', { method: 'POST', body: { deliveryId: row.id } })
      return `Replayed ${row.id} (${row.subscriber}).`
    })
  const purgeOne = (row: DeliveryJson) =>
    run(async () => {
      await api(`dlq/${encodeURIComponent(row.id)}`, { method: 'DELETE' })
      return `Purged ${row.id}: discarded, and still replayable from its event.`
    })

  return (
    <section>
      <h1>Dead letters</h1>
      <DlqFilterForm filters={filters} />
      <ErrorNote message={error} />
      <Notice message={notice} />
      <nav class="tabs" aria-label="Views">
        <Link
          class="tab"
          href={href('dlq', filters)}
          aria-current={view === 'deliveries' ? 'page' : undefined}
        >
          Deliveries
        </Link>
        <Link
          class="tab"
          href={href('dlq', { ...filters, view: 'groups' })}
          aria-current={view === 'groups' ? 'page' : undefined}
        >
          By error
        </Link>
      </nav>
      {view === 'groups' ? (
        <DlqGroups filter={filters} version={version} onJob={reloadAll} />
      ) : (
        deliveriesView()
      )}
      <RecentJobs version={version} />
    </section>
  )

  function deliveriesView() {
    return (
      <>
        <BulkActions filter={filters} what="all matching" onJob={reloadAll} />
        {rows === null && !error && <Loading />}
        {rows !== null && rows.length === 0 && (
          <p class="empty">
            {Object.keys(filters).length
              ? 'No dead delivery matches these filters.'
              : 'The dead-letter queue is empty: every delivery succeeded or is still being retried.'}
          </p>
        )}
        {rows !== null && rows.length > 0 && (
          <table class="dlq">
            <caption class="offscreen">Dead deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Died</th>
                <th scope="col">Delivery</th>
                <th scope="col">Subscriber</th>
                <th scope="col">Event</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  <td>
                    <Time iso={row.completedAt ?? row.updatedAt} />
                  </td>
                  <th scope="row">
                    <Link href={href(`deliveries/${encodeURIComponent(row.id)}`)}>{row.id}</Link>
                  </th>
                  <td>{row.subscriber}</td>
                  <td>
                    <Link href={href(`events/${encodeURIComponent(row.eventId)}`)}>
                      {row.name ?? row.type}
                    </Link>
                  </td>
                  <td>{row.totalAttempts}</td>
                  <td class="wrap">{row.lastError ?? '—'}</td>
                  <td class="row-actions">
                    <button
                      type="button"
                      class="small"
                      onClick={() => replayOne(row)}
                      aria-label={`Replay ${row.id}`}
                    >
                      Replay
                    </button>
                    <button
                      type="button"
                      class="small danger"
                      onClick={() => purgeOne(row)}
                      aria-label={`Purge ${row.id}`}
                    >
                      Purge
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <nav class="pager" aria-label="Pages">
          {cursor && <Link href={href('dlq', filters)}>Newest</Link>}
          {nextCursor && <Link href={href('dlq', { ...filters, cursor: nextCursor })}>Next page</Link>}
        </nav>
      </>
    )
  }
}

function DlqFilterForm({ filters }: { filters: Filters }) {
  const form = useRef<HTMLFormElement>(null)
  const submit = (event: Event) => {
    event.preventDefault()
    const data = new FormData(form.current!)
    const next: Record<string, string> = {}
    for (const key of DLQ_FILTERS) {
      const value = String(data.get(key) ?? '').trim()
      if (value) next[key] = value
    }
    navigate(href('dlq', next))
  }
  const labels: Record<(typeof DLQ_FILTERS)[number], string> = {
    type: 'Type',
    subscriber: 'Subscriber',
    tenant: 'Location or company',
    error: 'Error contains',
    since: 'Since',
    until: 'Until',
  }
  return (
    <form ref={form} class="filters" onSubmit={submit} key={JSON.stringify(filters)}>
      {DLQ_FILTERS.map((name) => (
        <label key={name}>
          {labels[name]}
          <input name={name} defaultValue={filters[name] ?? ''} />
        </label>
      ))}
      <div class="buttons">
        <button type="submit">Apply</button>
        <button type="button" class="secondary" onClick={() => navigate(href('dlq'))}>
          Clear
        </button>
      </div>
    </form>
  )
}
