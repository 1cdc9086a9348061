import { useRef } from 'preact/hooks'
import type {
  BlockedLaneJson,
  EventPageJson,
  LocationDetailJson,
  LocationJson,
  LocationPageJson,
} from '../../../src/api/schemas/index.js'
import { ErrorNote, Facts, Loading, StateBadge } from '../components/common.js'
import { useResource } from '../resource.js'
import { href, Link, navigate } from '../router.js'
import { Time } from '../time.js'
import { ReauthNotice } from './reauth.js'

/**
 * /ui/locations and /ui/locations/:id — the GHL tenants (sub-account locations, agency companies)
 * the stored events name: volume, error rate and last seen over a window; one tenant's blocked
 * ordered lanes and its newest events. The window, the start id and the page are in the URL.
 */

const WINDOWS = ['1h', '24h', '7d'] as const

const locationHref = (id: string, span?: string) =>
  href(`locations/${encodeURIComponent(id)}`, { window: span === '24h' ? undefined : span })

/** A location or company id as a link to its page (used where other pages show a tenant). */
export function TenantLink({ id }: { id: string }) {
  return <Link href={locationHref(id)}>{id}</Link>
}

function windowOf(query: URLSearchParams): string {
  const value = query.get('window')
  return value && (WINDOWS as readonly string[]).includes(value) ? value : '24h'
}

function Volume({ row }: { row: LocationJson }) {
  return (
    <>
      {row.volume.toLocaleString()}
      {row.volumeCapped ? '+' : ''}
    </>
  )
}

function ErrorRate({ row }: { row: LocationJson }) {
  if (row.errorRate === null) return <span class="muted">—</span>
  const percent = row.errorRate * 100
  return (
    <span
      class={row.errorRate > 0 ? 'rate-bad' : undefined}
      title={`${row.failedDeliveries} of ${row.sampledDeliveries} deliveries of its newest ${row.sampledEvents} events failed`}
    >
      {percent < 10 && percent > 0 ? percent.toFixed(1) : Math.round(percent)}%
    </span>
  )
}

export function LocationsPage({ query }: { query: URLSearchParams }) {
  const span = windowOf(query)
  const from = query.get('from') ?? undefined
  const cursor = query.get('cursor') ?? undefined
  const { data, error } = useResource<LocationPageJson>(
    `locations?${new URLSearchParams({ window: span, limit: '25', ...(from ? { from } : {}), ...(cursor ? { cursor } : {}) })}`,
  )
  const form = useRef<HTMLFormElement>(null)
  const submit = (event: Event) => {
    event.preventDefault()
    const values = new FormData(form.current!)
    const start = String(values.get('from') ?? '').trim()
    navigate(href('locations', { window: String(values.get('window')), from: start || undefined }))
  }
  const here = { window: span === '24h' ? undefined : span, from }
  return (
    <section>
      <h1>Locations</h1>
      <ReauthNotice />
      <form ref={form} class="filters" onSubmit={submit} aria-label="Locations filters">
        <label>
          Starting at id
          <input name="from" defaultValue={from ?? ''} placeholder="ve9EPM428h8vShlRW1KT" key={from} />
        </label>
        <label>
          Window
          <select name="window" defaultValue={span} key={span}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                last {w}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <ErrorNote message={error} />
      {!data && !error && <Loading />}
      {data && data.data.length === 0 && (
        <div class="empty">
          <p>
            {from
              ? `No location or company id at or after “${from}”.`
              : 'No event names a location or company yet.'}
          </p>
          <p>
            GHL webhooks carry a <code>locationId</code> (a sub-account) or a <code>companyId</code> (an
            agency); each one seen appears here with its volume, error rate and last event. See the{' '}
            <Link href={href('events')}>events</Link> for what arrived so far.
          </p>
        </div>
      )}
      {data && data.data.length > 0 && (
        <table class="locations">
          <caption>
            Locations, then companies, by id — volume and error rate over the last {data.window.name} (since{' '}
            <Time iso={data.window.since} />)
          </caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Kind</th>
              <th scope="col">Volume</th>
              <th scope="col">Error rate</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((row) => (
              <tr key={`${row.kind}:${row.id}`}>
                <th scope="row">
                  <Link href={locationHref(row.id, span)}>{row.id}</Link>
                </th>
                <td>{row.kind}</td>
                <td>
                  <Volume row={row} />
                </td>
                <td>
                  <ErrorRate row={row} />
                </td>
                <td>
                  <Time iso={row.lastSeenAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && <Link href={href('locations', here)}>First page</Link>}
        {data?.nextCursor && (
          <Link href={href('locations', { ...here, cursor: data.nextCursor })}>Next page</Link>
        )}
      </nav>
    </section>
  )
}

export function LocationPage({ id, query }: { id: string; query: URLSearchParams }) {
  const span = windowOf(query)
  const path = `locations/${encodeURIComponent(id)}${span === '24h' ? '' : `?window=${span}`}`
  const { data, error } = useResource<LocationDetailJson>(path)
  const events = useResource<EventPageJson>(`events?tenant=${encodeURIComponent(id)}&limit=10`)
  if (!data) return error ? <ErrorNote message={error} /> : <Loading />
  const location = data.as.find((row) => row.kind === 'location')
  return (
    <article>
      <p class="crumbs">
        <Link href={href('locations', { window: span === '24h' ? undefined : span })}>Locations</Link> /{' '}
        {data.id}
      </p>
      <h1>{data.id}</h1>
      <nav class="tabs" aria-label="Window">
        {WINDOWS.map((w) => (
          <Link key={w} href={locationHref(id, w)} aria-current={w === span ? 'page' : undefined}>
            last {w}
          </Link>
        ))}
      </nav>
      {data.as.map((row) => (
        <section key={row.kind} aria-label={`As a ${row.kind}`}>
          <Facts
            rows={[
              ['Kind', row.kind === 'location' ? 'location (sub-account)' : 'company (agency)'],
              [`Volume, last ${data.window.name}`, <Volume key="v" row={row} />],
              ['Error rate', <ErrorRate key="e" row={row} />],
              [
                'Last seen',
                row.lastEventId ? (
                  <Link key="l" href={href(`events/${encodeURIComponent(row.lastEventId)}`)}>
                    <Time iso={row.lastSeenAt} />
                  </Link>
                ) : null,
              ],
            ]}
          />
        </section>
      ))}
      <BlockedLanes lanes={data.blockedLanes} truncated={data.blockedLanesTruncated} />
      <section aria-labelledby="its-events">
        <h2 id="its-events">Its newest events</h2>
        {location && (
          <p>
            <Link href={href('events', { locationId: id })}>All events of this location</Link>
          </p>
        )}
        <ErrorNote message={events.error} />
        {events.data && events.data.data.length === 0 && <p class="empty">No event names this id.</p>}
        {events.data && events.data.data.length > 0 && (
          <table>
            <caption class="offscreen">Its newest events</caption>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Entity</th>
              </tr>
            </thead>
            <tbody>
              {events.data.data.map((event) => (
                <tr key={event.id}>
                  <td>
                    <Time iso={event.receivedAt} />
                  </td>
                  <th scope="row">
                    <Link href={href(`events/${encodeURIComponent(event.id)}`)}>
                      {event.name ?? event.type}
                    </Link>
                  </th>
                  <td>
                    <StateBadge state={event.deliveryStatus} />
                  </td>
                  <td class="wrap">
                    {event.entity.id ? `${event.entity.kind ?? ''} ${event.entity.id}`.trim() : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </article>
  )
}

function BlockedLanes({ lanes, truncated }: { lanes: BlockedLaneJson[]; truncated: boolean }) {
  return (
    <section aria-labelledby="blocked-lanes">
      <h2 id="blocked-lanes">Blocked lanes</h2>
      {lanes.length === 0 ? (
        <p class="empty">
          No blocked lane. A subscriber with <code>ordered: 'entity'</code> runs one delivery per entity at a
          time, in receive order; when the oldest one fails and waits for its retry, the later ones of that
          entity wait behind it and the lane shows here. A delivery that goes dead leaves its lane (find it in
          the <Link href={href('dlq')}>dead letters</Link>) and the next one runs.
        </p>
      ) : (
        <table class="lanes">
          <caption>
            Ordered lanes whose oldest delivery failed and waits for a retry, oldest first
            {truncated ? ' (the scan stopped at its budget: there may be more)' : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Subscriber</th>
              <th scope="col">Entity</th>
              <th scope="col">Head event</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Waiting behind</th>
              <th scope="col">Failing since</th>
              <th scope="col">Next attempt</th>
            </tr>
          </thead>
          <tbody>
            {lanes.map((lane) => (
              <tr key={lane.deliveryId}>
                <td>{lane.subscriber}</td>
                <td class="wrap">
                  {lane.entity.id ? `${lane.entity.kind ?? ''} ${lane.entity.id}`.trim() : '—'}
                </td>
                <th scope="row">
                  <Link href={href(`events/${encodeURIComponent(lane.eventId)}`)}>
                    {lane.name ?? lane.type ?? lane.eventId}
                  </Link>
                </th>
                <td>
                  <Link
                    href={href(`deliveries/${encodeURIComponent(lane.deliveryId)}`)}
                    aria-label={`Delivery ${lane.deliveryId}`}
                  >
                    <StateBadge state={lane.state} />
                  </Link>
                </td>
                <td>{lane.attempts}</td>
                <td class="wrap">{lane.lastError ?? '—'}</td>
                <td>
                  {lane.waiting}
                  {lane.waitingCapped ? '+' : ''}
                </td>
                <td>
                  <Time iso={lane.failingSince} />
                </td>
                <td>
                  <Time iso={lane.nextAttemptAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
