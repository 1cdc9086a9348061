import { useEffect, useState } from 'preact/hooks'
import type { SessionStateJson } from '../../src/api/schemas/index.js'
import { ApiError, api, whenUnauthorized } from './api.js'
import { Loading } from './components/common.js'
import { Shortcuts } from './components/shortcuts.js'
import { CatalogEventPage, CatalogPage } from './pages/catalog.js'
import { DeliveryPage } from './pages/delivery.js'
import { DestinationPage } from './pages/destination.js'
import { DestinationsPage } from './pages/destinations.js'
import { DlqPage } from './pages/dlq.js'
import { EntityTimelinePage } from './pages/entity-timeline.js'
import { EventDetailPage } from './pages/event-detail.js'
import { EventsPage } from './pages/events.js'
import { InstallPage, InstallsPage } from './pages/installs.js'
import { LocationPage, LocationsPage } from './pages/locations.js'
import { AdminDisabled, Login } from './pages/login.js'
import { OverviewPage } from './pages/overview.js'
import { ReauthPage } from './pages/reauth.js'
import { setPrefs, type Theme, usePrefs } from './prefs.js'
import { href, Link, navigate, type Place, segments, usePlace } from './router.js'

type Session = { state: 'checking' } | { state: 'anonymous' } | { state: 'disabled' } | { state: 'in' }

/** The console: the session check, then the layout around the page the URL names. */
export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' })

  useEffect(() => {
    api<SessionStateJson>('session', { quietUnauthorized: true })
      .then(() => setSession({ state: 'in' }))
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) setSession({ state: 'disabled' })
        else setSession({ state: 'anonymous' })
      })
    return whenUnauthorized(() => setSession({ state: 'anonymous' }))
  }, [])

  switch (session.state) {
    case 'checking':
      return <Loading />
    case 'disabled':
      return <AdminDisabled />
    case 'anonymous':
      return <Login onLogin={() => setSession({ state: 'in' })} />
    case 'in':
      return <Layout onLogout={() => setSession({ state: 'anonymous' })} />
  }
}

function Layout({ onLogout }: { onLogout: () => void }) {
  const place = usePlace()
  const prefs = usePrefs()
  const section = place.path.split('/')[0] || 'overview'

  const logout = async () => {
    try {
      await api('session', { method: 'DELETE', quietUnauthorized: true })
    } finally {
      onLogout()
    }
  }

  const nav = (path: string, label: string) => (
    <li>
      <Link href={href(path)} aria-current={section === path ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  )

  return (
    <>
      <header class="top">
        <Link class="brand" href={href('')}>
          ghl-gateway
        </Link>
        <nav aria-label="Main">
          <ul>
            {nav('overview', 'Overview')}
            {nav('events', 'Events')}
            {nav('dlq', 'Dead letters')}
            {nav('destinations', 'Destinations')}
            {nav('locations', 'Locations')}
            {nav('installs', 'Installs')}
            {nav('catalog', 'Catalog')}
          </ul>
        </nav>
        <div class="controls">
          <button
            type="button"
            class="small"
            onClick={() => setPrefs({ zone: prefs.zone === 'utc' ? 'local' : 'utc' })}
            aria-label={`Times in ${prefs.zone === 'utc' ? 'UTC' : 'local time'}; switch`}
          >
            {prefs.zone === 'utc' ? 'UTC' : 'Local'}
          </button>
          <label class="inline">
            <span class="offscreen">Colour scheme</span>
            <select
              value={prefs.theme}
              onChange={(event) => setPrefs({ theme: (event.target as HTMLSelectElement).value as Theme })}
            >
              <option value="system">System</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <button type="button" class="small" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main id="main">
        <Page place={place} />
      </main>
      <Shortcuts />
    </>
  )
}

function Page({ place }: { place: Place }) {
  const [section, id, ...rest] = segments(place)
  if (section === 'entities' && id && rest.length === 1)
    return <EntityTimelinePage kind={id} id={rest[0]!} query={place.query} />
  if (section === 'installs' && id && rest.length === 1) return <InstallPage kind={id} id={rest[0]!} />
  if (rest.length === 0) {
    switch (section) {
      case '':
      case 'overview':
        if (!id) return <OverviewPage query={place.query} />
        break
      case 'events':
        return id ? <EventDetailPage id={id} /> : <EventsPage query={place.query} />
      case 'deliveries':
        if (id) return <DeliveryPage id={id} />
        break
      case 'dlq':
        if (!id) return <DlqPage query={place.query} />
        break
      case 'destinations':
        return id ? <DestinationPage id={id} /> : <DestinationsPage />
      case 'locations':
        return id ? <LocationPage id={id} query={place.query} /> : <LocationsPage query={place.query} />
      case 'catalog':
        return id ? <CatalogEventPage name={id} /> : <CatalogPage query={place.query} />
      case 'ghl-tokens':
        if (!id) return <ReauthPage query={place.query} />
        break
      case 'installs':
        if (!id) return <InstallsPage query={place.query} />
        break
    }
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        The console has no page at this address.{' '}
        <a
          href={href('events')}
          onClick={(event) => {
            event.preventDefault()
            navigate(href('events'))
          }}
        >
          Go to the events
        </a>
        .
      </p>
    </section>
  )
}
