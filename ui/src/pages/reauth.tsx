import type { GhlTokenJson, GhlTokenPageJson } from '../../../src/api/schemas/index.js'
import { ErrorNote, Loading } from '../components/common.js'
import { useResource } from '../resource.js'
import { href, Link } from '../router.js'
import { Time } from '../time.js'

/**
 * Re-authorisation: the GHL tokens GHL refused (GET /api/ghl/tokens?status=needs_reauth). A line on
 * the Locations page when there are any (`ReauthNotice`), and /ui/ghl-tokens listing them with the
 * reason and what to do. A reason may quote GHL: rendered as text.
 */

const PAGE = 'ghl-tokens'

const plural = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`

/** Nothing when no token needs a person (or the gateway stores none); one line with a link otherwise. */
export function ReauthNotice() {
  const { data } = useResource<GhlTokenPageJson>('ghl/tokens?status=needs_reauth&limit=1')
  if (!data || data.count === 0) return null
  return (
    <p class="reauth-notice" role="status">
      {plural(data.count, 'location needs', 'locations need')}
      {data.countCapped ? ' (or more)' : ''} the app installed again: their GHL calls fail until then.{' '}
      <Link href={href(PAGE)}>See which</Link>
    </p>
  )
}

function WhatToDo({ row }: { row: GhlTokenJson }) {
  const kind = row.userType === 'Location' ? 'location' : 'company'
  if (row.kind === 'private') {
    return (
      <>
        Create a new Private Integration Token in GHL (Settings → Private Integrations), then{' '}
        <code>
          ghl-gateway ghl private-token set {kind} {row.ownerId}
        </code>
      </>
    )
  }
  return <>Install the app on this {kind} again (GHL marketplace, or your install link)</>
}

export function ReauthPage({ query }: { query: URLSearchParams }) {
  const cursor = query.get('cursor') ?? undefined
  const { data, error } = useResource<GhlTokenPageJson>(
    `ghl/tokens?${new URLSearchParams({ status: 'needs_reauth', limit: '50', ...(cursor ? { cursor } : {}) })}`,
  )
  return (
    <section>
      <p class="crumbs">
        <Link href={href('locations')}>Locations</Link> / re-authorisation
      </p>
      <h1>Locations that need re-authorising</h1>
      <ErrorNote message={error} />
      {!data && !error && <Loading />}
      {data && data.data.length === 0 && (
        <div class="empty">
          <p>No GHL token needs re-authorising.</p>
          <p>
            When GHL refuses a location’s refresh token (<code>invalid_grant</code>) or its Private
            Integration Token (401), it is listed here with GHL’s reason, and its GHL calls fail at once
            instead of asking GHL again. The metric{' '}
            <code>ghl_gateway_ghl_tokens{'{status="needs_reauth"}'}</code> and <code>ghl-gateway doctor</code>{' '}
            say the same.
          </p>
        </div>
      )}
      {data && data.data.length > 0 && (
        <table class="reauth">
          <caption>
            {plural(data.count, 'token', 'tokens')}
            {data.countCapped ? ' or more' : ''} refused by GHL, by app and id
          </caption>
          <thead>
            <tr>
              <th scope="col">Location or company</th>
              <th scope="col">Token</th>
              <th scope="col">Why</th>
              <th scope="col">Since</th>
              <th scope="col">What to do</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((row) => (
              <tr key={`${row.appId}:${row.userType}:${row.ownerId}`}>
                <th scope="row">
                  <code>{row.ownerId}</code>{' '}
                  <span class="muted">{row.userType === 'Location' ? 'location' : 'company'}</span>
                </th>
                <td>{row.kind === 'private' ? 'Private Integration Token' : `App ${row.appId}`}</td>
                <td>{row.statusReason ?? '—'}</td>
                <td>
                  <Time iso={row.updatedAt} />
                </td>
                <td>
                  <WhatToDo row={row} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor && <Link href={href(PAGE)}>First page</Link>}
        {data?.nextCursor && <Link href={href(PAGE, { cursor: data.nextCursor })}>Next page</Link>}
      </nav>
    </section>
  )
}
