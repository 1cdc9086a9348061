import type {
  CatalogEntryDetailJson,
  CatalogEntryJson,
  CatalogListJson,
} from '../../../src/api/schemas/index.js'
import { ErrorNote, Facts, Loading, TextBlock } from '../components/common.js'
import { CopyButton } from '../components/copy.js'
import { SendSample } from '../components/send-sample.js'
import { useResource } from '../resource.js'
import { href, Link, navigate } from '../router.js'
import { Time } from '../time.js'

/**
 * /ui/catalog and /ui/catalog/:name — the 77 GHL events: what each is, its JSON Schema and sample,
 * its traffic on this gateway, and "send this sample" when CONSOLE_SAMPLE_SIGNING_KEY is set.
 * The list's filters live in the query string (q, category, level, sort), like the events page's.
 */

const SORTS = {
  name: 'Name',
  volume: 'Most received (7 d)',
  seen: 'Last seen',
  drift: 'Most drift',
} as const
type Sort = keyof typeof SORTS

/** `10,000+` when a count reached the limit the API counts to. */
function countText(n: number, limit: number): string {
  return `${n.toLocaleString('en-US')}${n >= limit ? '+' : ''}`
}

const eventsOfType = (entry: CatalogEntryJson) => href('events', { type: entry.type })

function compare(sort: Sort): (a: CatalogEntryJson, b: CatalogEntryJson) => number {
  switch (sort) {
    case 'name':
      return (a, b) => a.name.localeCompare(b.name)
    case 'volume':
      return (a, b) => b.stats.lastWeek - a.stats.lastWeek || a.name.localeCompare(b.name)
    case 'seen':
      return (a, b) => (b.stats.lastSeenAt ?? '').localeCompare(a.stats.lastSeenAt ?? '')
    case 'drift':
      return (a, b) => b.stats.driftLastWeek - a.stats.driftLastWeek || a.name.localeCompare(b.name)
  }
}

function matches(entry: CatalogEntryJson, text: string): boolean {
  const needle = text.toLowerCase()
  return [entry.name, entry.canonical, entry.type, ...entry.typeValues].some((value) =>
    value.toLowerCase().includes(needle),
  )
}

export function CatalogPage({ query }: { query: URLSearchParams }) {
  const { data, error } = useResource<CatalogListJson>('catalog')
  const q = query.get('q') ?? ''
  const category = query.get('category') ?? ''
  const level = query.get('level') ?? ''
  const sort: Sort = (query.get('sort') ?? '') in SORTS ? (query.get('sort') as Sort) : 'name'

  // Each change replaces the URL: a filtered view is a link, and back leaves the page.
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(query)
    if (value) next.set(key, value)
    else next.delete(key)
    navigate(href('catalog', next), { replace: true })
  }

  if (!data) return error ? <ErrorNote message={error} /> : <Loading />
  const categories = [...new Set(data.data.map((entry) => entry.category))].sort()
  const levels = [...new Set(data.data.map((entry) => entry.level))].sort()
  const rows = data.data
    .filter((entry) => (!q || matches(entry, q)) && (!category || entry.category === category))
    .filter((entry) => !level || entry.level === level)
    .sort(compare(sort))

  return (
    <section>
      <h1>Catalog</h1>
      <p class="muted">
        The {data.data.length} GHL webhook events this gateway knows, with their traffic here: received in the
        last 24 hours and 7 days, and how many of the week's drifted from the documented schema.
      </p>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <label class="grow">
          Search
          <input
            type="search"
            name="q"
            value={q}
            placeholder="ContactCreate, contact.created, a GHL type value"
            onInput={(event) => set('q', (event.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          Category
          <select
            value={category}
            onChange={(event) => set('category', (event.target as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {categories.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          Level
          <select value={level} onChange={(event) => set('level', (event.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {levels.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort
          <select value={sort} onChange={(event) => set('sort', (event.target as HTMLSelectElement).value)}>
            {Object.entries(SORTS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </form>
      <p class="muted" role="status">
        {rows.length === data.data.length
          ? `${rows.length} events`
          : `${rows.length} of ${data.data.length} events match`}
      </p>
      {rows.length === 0 ? (
        <div class="empty">
          <p>No event matches these filters.</p>
          <button type="button" class="secondary" onClick={() => navigate(href('catalog'))}>
            Show every event
          </button>
        </div>
      ) : (
        <table class="catalog">
          <caption class="offscreen">GHL events and their traffic</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Type</th>
              <th scope="col">Category</th>
              <th scope="col">Level</th>
              <th scope="col" class="num">
                24 h
              </th>
              <th scope="col" class="num">
                7 d
              </th>
              <th scope="col">Last seen</th>
              <th scope="col" class="num">
                Drift (7 d)
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((entry) => (
              <tr key={entry.name}>
                <th scope="row">
                  <Link href={href(`catalog/${encodeURIComponent(entry.name)}`)}>{entry.name}</Link>
                </th>
                <td>{entry.type}</td>
                <td>{entry.category}</td>
                <td>{entry.level}</td>
                <td class="num">{countText(entry.stats.lastDay, data.countLimit)}</td>
                <td class="num">
                  {entry.stats.lastWeek > 0 ? (
                    <Link href={eventsOfType(entry)} aria-label={`Events of type ${entry.type}`}>
                      {countText(entry.stats.lastWeek, data.countLimit)}
                    </Link>
                  ) : (
                    '0'
                  )}
                </td>
                <td>
                  {entry.stats.lastSeenAt ? (
                    <Time iso={entry.stats.lastSeenAt} />
                  ) : (
                    <span class="muted">never</span>
                  )}
                </td>
                <td class={entry.stats.driftLastWeek > 0 ? 'num drift' : 'num'}>
                  {countText(entry.stats.driftLastWeek, data.countLimit)}
                  {data.driftLimitReached && entry.stats.driftLastWeek > 0 ? '+' : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function StatsFacts({ entry }: { entry: CatalogEntryDetailJson }) {
  const { stats, countLimit: limit } = entry
  const driftMore = entry.driftLimitReached && stats.driftLastWeek > 0 ? '+' : ''
  return (
    <Facts
      rows={[
        ['Last seen', stats.lastSeenAt ? <Time key="s" iso={stats.lastSeenAt} /> : 'never on this gateway'],
        ['Last 24 hours', countText(stats.lastDay, limit)],
        ['Last 7 days', countText(stats.lastWeek, limit)],
        ['Drifted (7 d)', `${countText(stats.driftLastWeek, limit)}${driftMore}`],
        [
          'Events',
          <Link key="e" href={eventsOfType(entry)}>
            Events of this type
          </Link>,
        ],
      ]}
    />
  )
}

export function CatalogEventPage({ name }: { name: string }) {
  const { data, error } = useResource<CatalogEntryDetailJson>(`catalog/${encodeURIComponent(name)}`)
  if (!data) return error ? <ErrorNote message={error} /> : <Loading />
  const sample = JSON.stringify(data.sample, null, 2)
  return (
    <article>
      <p class="crumbs">
        <Link href={href('catalog')}>Catalog</Link> / {data.name}
      </p>
      <h1>{data.name}</h1>
      <Facts
        rows={[
          ['Canonical type', data.canonical],
          ['Published type', data.type === data.canonical ? null : data.type],
          [
            'GHL type values',
            data.typeValues.length ? data.typeValues.join(', ') : 'none (named by shape or URL)',
          ],
          ['Category', data.category],
          ['Level', data.level],
          ['Scopes', data.scopes.join(', ') || null],
          ['Entity', `${data.entity.kind} (${data.entity.idPath})`],
          ['Tenant', data.tenant],
          ['Since', data.since],
        ]}
      />
      <h2>Traffic on this gateway</h2>
      <StatsFacts entry={data} />
      <h2>Sample payload</h2>
      <div class="actions">
        <CopyButton text={sample} label="Copy sample" />
      </div>
      <TextBlock label="Sample payload" text={sample} />
      <SendSample name={data.name} sending={data.sampleSending} />
      <h2>JSON Schema</h2>
      <details class="schema">
        <summary>Show the JSON Schema of the body</summary>
        <TextBlock label="JSON Schema" text={JSON.stringify(data.schema, null, 2)} />
      </details>
    </article>
  )
}
