import { useState } from 'preact/hooks'
import type { InstallJson, InstallPageJson } from '../../../src/api/schemas/index.js'
import { api } from '../api.js'
import { ErrorNote, Facts, Loading, Notice, StateBadge } from '../components/common.js'
import { useResource } from '../resource.js'
import { href, Link, navigate } from '../router.js'
import { Time } from '../time.js'

/** /ui/installs — where the GHL app is installed (GET /api/installs); one: /ui/installs/:kind/:id. */

const NO_APP = /^no GHL app is configured/

function tokenText(install: InstallJson): string {
  return install.token ? install.token.status.replace('_', ' ') : 'no token yet'
}

export function InstallsPage({ query }: { query: URLSearchParams }) {
  const status = query.get('status') ?? ''
  const cursor = query.get('cursor') ?? undefined
  const { data, error } = useResource<InstallPageJson>(
    `installs?${new URLSearchParams({ limit: '50', ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) })}`,
  )
  if (error && NO_APP.test(error)) {
    return (
      <section>
        <h1>Installs</h1>
        <div class="empty">
          <p>
            No GHL app is configured on this gateway. Set GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_TOKEN_KEY
            (docs/ghl-apps.md), restart, and send admins to /oauth/install.
          </p>
        </div>
      </section>
    )
  }
  return (
    <section>
      <h1>Installs</h1>
      <label class="inline">
        Status{' '}
        <select
          value={status}
          onChange={(event) =>
            navigate(href('installs', { status: (event.target as HTMLSelectElement).value || undefined }))
          }
        >
          <option value="">all</option>
          <option value="installed">installed</option>
          <option value="uninstalled">uninstalled</option>
        </select>
      </label>
      <ErrorNote message={error} />
      {!data && !error && <Loading />}
      {data && data.data.length === 0 && (
        <div class="empty">
          <p>
            No installation {status ? `is ${status}` : 'yet'}. Admins install the app from /oauth/install (or
            your marketplace listing); each location and agency appears here with the state of its token.
          </p>
        </div>
      )}
      {data && data.data.length > 0 && (
        <table>
          <caption class="offscreen">Installations</caption>
          <thead>
            <tr>
              <th scope="col">Installation</th>
              <th scope="col">Company</th>
              <th scope="col">Status</th>
              <th scope="col">Token</th>
              <th scope="col">Installed</th>
              <th scope="col">Tenant id</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((install) => (
              <tr key={`${install.kind}:${install.id}`}>
                <th scope="row">
                  <Link href={href(`installs/${install.kind}/${encodeURIComponent(install.id)}`)}>
                    {`${install.kind} ${install.id}`}
                  </Link>
                </th>
                <td>{install.companyId ?? <span class="muted">—</span>}</td>
                <td>
                  <StateBadge state={install.status} />
                  {install.bulk && <span class="badge">bulk</span>}
                </td>
                <td>{tokenText(install)}</td>
                <td>
                  <Time iso={install.installedAt} />
                </td>
                <td>{install.tenantId ?? <span class="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data?.nextCursor && (
        <p>
          <Link href={href('installs', { status: status || undefined, cursor: data.nextCursor })}>
            Next page
          </Link>
        </p>
      )}
    </section>
  )
}

export function InstallPage({ kind, id }: { kind: string; id: string }) {
  const path = `installs/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`
  const { data, error, notice, act } = useResource<InstallJson>(path)
  const [tenant, setTenant] = useState<string | null>(null)
  const save = (tenantId: string | null) =>
    act(async () => {
      await api<InstallJson>(`installs/location/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        body: { tenantId },
      })
      setTenant(null)
      return tenantId === null ? 'Tenant id cleared.' : `Tenant id set to ${tenantId}.`
    })
  return (
    <section>
      <p>
        <Link href={href('installs')}>All installs</Link>
      </p>
      <h1>{`${kind} ${id}`}</h1>
      <ErrorNote message={error} />
      <Notice message={notice} />
      {!data && !error && <Loading />}
      {data && (
        <>
          <Facts
            rows={[
              ['Status', <StateBadge key="s" state={data.status} />],
              ['Company', data.companyId],
              ['Installed', <Time key="i" iso={data.installedAt} />],
              ['Uninstalled', data.uninstalledAt && <Time key="u" iso={data.uninstalledAt} />],
              ['Bulk install', data.bulk ? 'yes' : 'no'],
              ['Token', tokenText(data) + (data.token?.statusReason ? ` (${data.token.statusReason})` : '')],
              ['Scopes', data.token?.scopes.join(' ') || null],
              ['Token expires', data.token?.expiresAt && <Time key="e" iso={data.token.expiresAt} />],
              ['Tenant id', data.tenantId],
            ]}
          />
          {data.kind === 'location' && (
            <form
              aria-label="Tenant id"
              onSubmit={(event) => {
                event.preventDefault()
                const value = (tenant ?? data.tenantId ?? '').trim()
                void save(value === '' ? null : value)
              }}
            >
              <label>
                Tenant id (your own id for this location, on every handler's event as tenant.tenantId){' '}
                <input
                  name="tenantId"
                  maxLength={200}
                  value={tenant ?? data.tenantId ?? ''}
                  onInput={(event) => setTenant((event.target as HTMLInputElement).value)}
                />
              </label>{' '}
              <button type="submit">Save</button>{' '}
              {data.tenantId !== null && (
                <button type="button" onClick={() => void save(null)}>
                  Clear
                </button>
              )}
            </form>
          )}
        </>
      )}
    </section>
  )
}
