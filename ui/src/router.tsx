import type { ComponentChildren, JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { UI_BASE } from './api.js'

/**
 * The console's addresses: every view is a URL under `/ui/` with its state in the query string,
 * so a link can be shared and back/forward and reload keep the view. A few lines over the History
 * API instead of a router package.
 */

export interface Place {
  /** The path below `/ui/`, without the leading slash, as in the URL (encoded): `events/evt_1`. */
  path: string
  query: URLSearchParams
}

function current(): Place {
  const { pathname, search } = window.location
  const path = pathname.startsWith(UI_BASE) ? pathname.slice(UI_BASE.length) : ''
  return { path: path.replace(/\/+$/, ''), query: new URLSearchParams(search) }
}

const listeners = new Set<() => void>()
window.addEventListener('popstate', () => {
  for (const listener of listeners) listener()
})

/** The URL of a console view: `href('events', { type: 'contact.created' })`. */
export function href(path: string, query?: URLSearchParams | Record<string, string | undefined>): string {
  const params = new URLSearchParams()
  if (query instanceof URLSearchParams) for (const [key, value] of query) params.set(key, value)
  else if (query) for (const [key, value] of Object.entries(query)) if (value) params.set(key, value)
  const search = params.toString()
  return `${UI_BASE}${path}${search ? `?${search}` : ''}`
}

/** The path's segments, decoded (`events/evt_1` → `['events', 'evt_1']`). */
export function segments(place: Place): string[] {
  return place.path.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment)
    } catch {
      return segment
    }
  })
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  for (const listener of listeners) listener()
  if (!options.replace) window.scrollTo(0, 0)
}

export function usePlace(): Place {
  const [place, setPlace] = useState(current)
  useEffect(() => {
    const update = () => setPlace(current())
    listeners.add(update)
    return () => {
      listeners.delete(update)
    }
  }, [])
  return place
}

type LinkProps = Omit<JSX.AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & {
  href: string
  children: ComponentChildren
}

/** An `<a>` that moves within the console without reloading it (a modified click still opens a tab). */
export function Link({ href: to, children, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(to)
  }
  return (
    <a {...rest} href={to} onClick={onClick}>
      {children}
    </a>
  )
}
