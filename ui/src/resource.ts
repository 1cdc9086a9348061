import { useEffect, useState } from 'preact/hooks'
import { api, messageOf } from './api.js'

/**
 * One admin API answer a page shows, and the actions it offers on it. `data` loads when `path`
 * changes and again after `reload()` or an action; an action's sentence becomes `notice` and its
 * failure `error`. An answer that arrives after the page moved on is dropped.
 */
export function useResource<T>(path: string) {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [version, setVersion] = useState(0)

  useEffect(() => {
    let current = true
    setError(null)
    api<T>(path)
      .then((answer) => current && setData(answer))
      .catch((caught: unknown) => current && setError(messageOf(caught)))
    return () => {
      current = false
    }
  }, [path, version])

  const reload = () => setVersion((v) => v + 1)
  /** Runs `action` (which returns what to tell the user), then reloads. */
  const act = async (action: () => Promise<string>) => {
    setError(null)
    setNotice(null)
    try {
      setNotice(await action())
      reload()
    } catch (caught) {
      setError(messageOf(caught))
    }
  }
  return { data, error, notice, reload, act }
}
