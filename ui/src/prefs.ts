import { useEffect, useState } from 'preact/hooks'

/**
 * The viewer's choices, kept in localStorage: the colour scheme (follows the system until
 * switched) and whether times are shown in UTC or the browser's time zone.
 */

export type Theme = 'system' | 'light' | 'dark'
export type Zone = 'utc' | 'local'

export interface Prefs {
  theme: Theme
  zone: Zone
}

function read(): Prefs {
  let stored: Partial<Prefs> = {}
  try {
    stored = JSON.parse(window.localStorage.getItem('ghl-gateway.console') ?? '{}') as Partial<Prefs>
  } catch {
    // Unreadable or unavailable storage: the defaults.
  }
  return {
    theme: stored.theme === 'light' || stored.theme === 'dark' ? stored.theme : 'system',
    zone: stored.zone === 'local' ? 'local' : 'utc',
  }
}

let prefs = read()
const listeners = new Set<() => void>()

function apply(): void {
  // CSS picks the scheme: `prefers-color-scheme` unless <html data-theme> says otherwise.
  if (prefs.theme === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = prefs.theme
}
apply()

export function setPrefs(change: Partial<Prefs>): void {
  prefs = { ...prefs, ...change }
  try {
    window.localStorage.setItem('ghl-gateway.console', JSON.stringify(prefs))
  } catch {
    // Not kept across reloads; still applied now.
  }
  apply()
  for (const listener of listeners) listener()
}

export function getPrefs(): Prefs {
  return prefs
}

export function usePrefs(): Prefs {
  const [value, setValue] = useState(prefs)
  useEffect(() => {
    const update = () => setValue(prefs)
    listeners.add(update)
    return () => {
      listeners.delete(update)
    }
  }, [])
  return value
}
