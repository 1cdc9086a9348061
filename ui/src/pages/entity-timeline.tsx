import type { FieldChangeJson, TimelineItemJson, TimelinePageJson } from '../../../src/api/schemas/index.js'
import { ErrorNote, Loading } from '../components/common.js'
import { useResource } from '../resource.js'
import { href, Link } from '../router.js'
import { Time } from '../time.js'

/**
 * /ui/entities/:kind/:id — one contact's (opportunity's, …) events in receive order, oldest first,
 * and between consecutive ones what changed, field by field. The diff is the API's
 * (GET /api/entities/:kind/:id/timeline, catalog/body-diff.ts); paths and values come from
 * payloads and are shown as text.
 */
export function EntityTimelinePage({
  kind,
  id,
  query,
}: {
  kind: string
  id: string
  query: URLSearchParams
}) {
  const cursor = query.get('cursor') ?? undefined
  const path = `entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}/timeline`
  const { data, error } = useResource<TimelinePageJson>(
    cursor ? `${path}?cursor=${encodeURIComponent(cursor)}` : path,
  )
  const here = `entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`

  return (
    <section>
      <p class="crumbs">
        <Link href={href('events', { q: id })}>Events of {id}</Link> / timeline
      </p>
      <h1>
        Timeline of {kind} <code>{id}</code>
      </h1>
      <p class="muted">
        Every event of this {kind}, oldest first (the order the gateway received them), with what changed
        since the one before. Fields that change on every webhook (webhookId, timestamp, dateUpdated) are
        folded away.
      </p>
      <ErrorNote message={error} />
      {!data && !error && <Loading />}
      {data && data.data.length === 0 && (
        <p class="empty">
          No events of {kind} {id}. The timeline lists the events whose classification named this entity; open
          an event and follow "Timeline of this {kind}".
        </p>
      )}
      {data && data.data.length > 0 && (
        <ol class="timeline">
          {data.data.map((item) => (
            <TimelineEntry key={item.event.id} item={item} />
          ))}
        </ol>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && <Link href={href(here)}>First events</Link>}
        {data?.nextCursor && (
          <Link href={href(here, { cursor: data.nextCursor })} rel="next">
            Later events
          </Link>
        )}
      </nav>
    </section>
  )
}

function TimelineEntry({ item }: { item: TimelineItemJson }) {
  const { event, diff } = item
  return (
    <li class="timeline-entry">
      <h2>
        <Link href={href(`events/${encodeURIComponent(event.id)}`)}>{event.name ?? event.type}</Link>{' '}
        <Time iso={event.receivedAt} /> <span class="muted">{event.id}</span>
      </h2>
      {diff === null ? (
        <p class="muted">{item.diffNote}</p>
      ) : (
        <>
          {diff.changes.length === 0 ? (
            <p class="muted">No field changed since the previous event.</p>
          ) : (
            <ChangeTable changes={diff.changes} caption={`Changes in ${event.id}`} />
          )}
          {diff.volatile.length > 0 && (
            <details>
              <summary>
                {diff.volatile.length} field{diff.volatile.length === 1 ? '' : 's'} that change on every
                webhook
              </summary>
              <ChangeTable
                changes={diff.volatile}
                caption={`Fields that change on every webhook, in ${event.id}`}
              />
            </details>
          )}
          {diff.truncated && (
            <p class="muted">
              The comparison stopped at its limits (200 changes, 20,000 values): there may be more; compare
              the bodies of the two events.
            </p>
          )}
        </>
      )}
    </li>
  )
}

function ChangeTable({ changes, caption }: { changes: FieldChangeJson[]; caption: string }) {
  return (
    <table class="changes">
      <caption class="offscreen">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Change</th>
          <th scope="col">Before → after</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change, index) => (
          <tr key={`${index}:${change.path}`} class={`change-${change.change}`}>
            <td>
              <code>{change.path}</code>
            </td>
            <td>{change.change}</td>
            <td>
              <code>
                {change.change === 'added'
                  ? change.after
                  : change.change === 'removed'
                    ? change.before
                    : `${change.before} → ${change.after}`}
              </code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
