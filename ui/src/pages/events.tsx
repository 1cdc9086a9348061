import { useEffect, useRef, useState } from 'preact/hooks'
import type { EventListItemJson, EventPageJson } from '../../../src/api/schemas/index.js'
import { EVENT_DELIVERY_STATUSES } from '../../../src/store/event-delivery-status.js'
import { api, messageOf } from '../api.js'
import { ErrorNote, Loading, StateBadge } from '../components/common.js'
import { NoEventsYet } from '../components/empty.js'
import { isShortcutKey } from '../components/shortcuts.js'
import { href, Link, navigate } from '../router.js'
import { Time } from '../time.js'
import { type LiveEventJson, useLiveTail } from './live-tail.js'

/**
 * /ui/events: the newest events first, every filter in the query string (a shareable view that
 * back/forward and reload keep), cursor paging, and a live tail on the first page.
 */

/** The filters, as query-string keys; the same names as GET /api/events takes. */
export const EVENT_FILTERS = ['q', 'type', 'status', 'source', 'locationId', 'since', 'until'] as const
type Filter = (typeof EVENT_FILTERS)[number]
type Filters = Partial<Record<Filter, string>>

/** A row of the list: an event summary, or what the live stream said of a new one. */
export interface Row {
  id: string
  receivedAt: string
  type: string
  name: string | null
  source: string
  locationId: string | null
  entity: { kind: string | null; id: string | null }
  duplicateCount: number
  /** What became of its deliveries; unknown for a row the live tail added. */
  status: EventListItemJson['deliveryStatus'] | null
}

function rowOf(event: EventListItemJson): Row {
  return {
    id: event.id,
    receivedAt: event.receivedAt,
    type: event.type,
    name: event.name,
    source: event.source,
    locationId: event.tenant.locationId,
    entity: event.entity,
    duplicateCount: event.duplicateCount,
    status: event.deliveryStatus,
  }
}

function liveRow(event: LiveEventJson): Row {
  return {
    id: event.id,
    receivedAt: event.receivedAt,
    type: event.type,
    name: event.name,
    source: event.source,
    locationId: event.locationId,
    entity: event.entity,
    duplicateCount: 0,
    status: null,
  }
}

function filtersOf(query: URLSearchParams): Filters {
  const filters: Filters = {}
  for (const key of EVENT_FILTERS) {
    const value = query.get(key)
    if (value) filters[key] = value
  }
  return filters
}

export function EventsPage({ query }: { query: URLSearchParams }) {
  const filters = filtersOf(query)
  const cursor = query.get('cursor') ?? undefined
  const key = query.toString()
  const [rows, setRows] = useState<Row[] | null>(null)
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [searchedBackTo, setSearchedBackTo] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [selected, setSelected] = useState<string | null>(null)

  useEffect(() => {
    let current = true
    setRows(null)
    setError(null)
    setSelected(null)
    api<EventPageJson>('events', { query: { ...filters, cursor, limit: 50 } })
      .then((page) => {
        if (!current) return
        setRows(page.data.map(rowOf))
        setNextCursor(page.nextCursor)
        setSearchedBackTo(page.searchedBackTo ?? null)
      })
      .catch((caught: unknown) => {
        if (current) setError(messageOf(caught))
      })
    return () => {
      current = false
    }
  }, [key])

  // The live tail: only on the first page, and only for filters the stream applies itself.
  const offReason = cursor
    ? 'Live tail is off on older pages.'
    : filters.until
      ? 'Live tail is off while "until" is set.'
      : filters.q || filters.status || filters.since
        ? 'Live tail is off while searching by text, status or "since".'
        : null
  const tail = useLiveTail({
    enabled: offReason === null && rows !== null,
    filter: { type: filters.type, location: filters.locationId, source: filters.source },
    holding: selected !== null,
    onArrive: (event) => {
      const row = liveRow(event)
      setRows((old) => (old === null || old.some((r) => r.id === row.id) ? old : [row, ...old]))
    },
  })

  useKeyboard(rows, selected, setSelected)

  return (
    <section>
      <h1>Events</h1>
      <FilterForm filters={filters} />
      <div class="toolbar" aria-live="polite">
        {offReason ? (
          <span class="muted">{offReason}</span>
        ) : (
          <>
            <span class={`live-dot ${tail.state}`} aria-hidden="true" />
            <span>
              {tail.state === 'live'
                ? 'Live'
                : tail.state === 'held'
                  ? 'Live tail paused while a row is selected'
                  : tail.state === 'paused'
                    ? 'Live tail paused'
                    : 'Live tail connecting…'}
            </span>
            <button type="button" class="small" onClick={tail.toggle}>
              {tail.paused ? 'Resume live tail' : 'Pause live tail'}
            </button>
          </>
        )}
        {tail.waiting.length > 0 && (
          <button type="button" class="banner" onClick={tail.showWaiting}>
            {tail.waiting.length} new {tail.waiting.length === 1 ? 'event' : 'events'}: show
          </button>
        )}
      </div>
      <ErrorNote message={error} />
      {rows === null && !error && <Loading />}
      {rows !== null && rows.length === 0 && (
        <NoEventsYet filtered={Object.keys(filters).length > 0 || cursor !== undefined} />
      )}
      {rows !== null && rows.length > 0 && (
        <EventsTable rows={rows} selected={selected} onSelect={setSelected} />
      )}
      {searchedBackTo && (
        <p class="muted" role="status">
          The search looked at events received back to <Time iso={searchedBackTo} /> within its budget;{' '}
          {nextCursor ? 'the next page searches further back.' : 'there is nothing older.'}
        </p>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && <Link href={href('events', filters)}>Newest</Link>}
        {nextCursor && (
          <Link href={href('events', { ...filters, cursor: nextCursor })} rel="next">
            Next page
          </Link>
        )}
      </nav>
    </section>
  )
}

function FilterForm({ filters }: { filters: Filters }) {
  const form = useRef<HTMLFormElement>(null)
  const submit = (event: Event) => {
    event.preventDefault()
    const data = new FormData(form.current!)
    const next: Record<string, string> = {}
    for (const key of EVENT_FILTERS) {
      const value = String(data.get(key) ?? '').trim()
      if (value) next[key] = value
    }
    navigate(href('events', next))
  }
  const field = (name: Filter, label: string, placeholder = '') => (
    <label>
      {label}
      <input name={name} defaultValue={filters[name] ?? ''} placeholder={placeholder} />
    </label>
  )
  // Keyed by the filters: back/forward to another view refills the form.
  return (
    <form ref={form} class="filters" onSubmit={submit} key={JSON.stringify(filters)}>
      <label class="grow">
        Search
        <input
          id="event-search"
          name="q"
          type="search"
          defaultValue={filters.q ?? ''}
          placeholder="id, webhookId, contact id or any text in the payload ( / )"
        />
      </label>
      {field('type', 'Type', 'contact.created or ContactCreate')}
      <label>
        Status
        <select name="status" defaultValue={filters.status ?? ''}>
          <option value="">any</option>
          {EVENT_DELIVERY_STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </label>
      {field('source', 'Source', 'ghl')}
      {field('locationId', 'Location')}
      {field('since', 'Since', '2026-12-01T00:00:00Z')}
      {field('until', 'Until', 'ISO-8601 or epoch ms')}
      <div class="buttons">
        <button type="submit">Apply</button>
        <button type="button" class="secondary" onClick={() => navigate(href('events'))}>
          Clear
        </button>
      </div>
    </form>
  )
}

function EventsTable({
  rows,
  selected,
  onSelect,
}: {
  rows: Row[]
  selected: string | null
  onSelect: (id: string | null) => void
}) {
  return (
    <table class="events">
      <caption class="offscreen">Events, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Received</th>
          <th scope="col">Event</th>
          <th scope="col">Type</th>
          <th scope="col">Status</th>
          <th scope="col">Source</th>
          <th scope="col">Location</th>
          <th scope="col">Entity</th>
          <th scope="col">Duplicates</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr
            key={row.id}
            aria-selected={row.id === selected}
            class={row.id === selected ? 'selected' : undefined}
            onClick={(event) => {
              if ((event.target as HTMLElement).closest('a')) return
              onSelect(row.id === selected ? null : row.id)
            }}
          >
            <td>
              <Time iso={row.receivedAt} />
            </td>
            <th scope="row">
              <Link href={href(`events/${encodeURIComponent(row.id)}`)}>{row.name ?? row.id}</Link>
            </th>
            <td>{row.type}</td>
            <td>{row.status ? <StateBadge state={row.status} /> : <span class="muted">new</span>}</td>
            <td>{row.source}</td>
            <td>{row.locationId ?? '—'}</td>
            <td class="wrap">{row.entity.id ? `${row.entity.kind ?? ''} ${row.entity.id}`.trim() : '—'}</td>
            <td>{row.duplicateCount || ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** `/` search, `j`/`k` move the selection, Enter opens it, Escape lets go. */
function useKeyboard(rows: Row[] | null, selected: string | null, setSelected: (id: string | null) => void) {
  // Read at key time, not captured when the listener was added: keys typed faster than effects
  // re-run (after paint) must act on the rows and selection the page shows.
  const latest = useRef({ rows, selected, setSelected })
  latest.current = { rows, selected, setSelected }
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // Links and buttons keep Enter; `/` and `?` belong to the whole console (components/shortcuts.tsx).
      if (!isShortcutKey(event) || (event.target as HTMLElement).closest('button, a')) return
      const { rows, selected, setSelected } = latest.current
      if (!rows || rows.length === 0) return
      const at = rows.findIndex((row) => row.id === selected)
      if (event.key === 'j') setSelected(rows[Math.min(rows.length - 1, at + 1)]!.id)
      else if (event.key === 'k') setSelected(rows[Math.max(0, at - 1)]!.id)
      else if (event.key === 'Escape') setSelected(null)
      else if (event.key === 'Enter' && selected) navigate(href(`events/${encodeURIComponent(selected)}`))
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])
}
