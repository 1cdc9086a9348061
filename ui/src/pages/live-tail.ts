import { useEffect, useRef, useState } from 'preact/hooks'
import type { LiveEvent } from '../../../src/observe/live-stream.js'
import { api, apiUrl } from '../api.js'

/**
 * The events list's live tail: GET /api/stream (Server-Sent Events; the session cookie goes with
 * it, EventSource cannot send a header). A new event is added at the top only while the viewer is
 * at the top, has not paused and has no row selected; otherwise it waits behind an "N new" banner,
 * so the rows being read never move.
 */

export type LiveEventJson = LiveEvent

export interface LiveTailOptions {
  enabled: boolean
  /** The stream's own filters (GET /api/stream?type=&location=&source=). */
  filter: { type?: string; location?: string; source?: string }
  /** A row is selected: hold new events back. */
  holding: boolean
  /** Show this event now (the list adds it at the top). */
  onArrive: (event: LiveEventJson) => void
}

export interface LiveTail {
  state: 'live' | 'paused' | 'held' | 'connecting'
  paused: boolean
  /** Arrived while paused, held or scrolled down, oldest first. */
  waiting: LiveEventJson[]
  toggle(): void
  showWaiting(): void
}

/** Reconnect this long after the stream closed (EventSource retries by itself while it can). */
const RECONNECT_MS = 3000
/** Keep at most this many waiting events (the list shows a page; more belong to a reload). */
const MAX_WAITING = 500

export function useLiveTail(options: LiveTailOptions): LiveTail {
  const [paused, setPaused] = useState(false)
  const [connected, setConnected] = useState(false)
  const [waiting, setWaiting] = useState<LiveEventJson[]>([])
  const latest = useRef({ ...options, paused })
  latest.current = { ...options, paused }

  const { enabled } = options
  const { type, location, source } = options.filter

  useEffect(() => {
    if (!enabled) return
    let stream: EventSource | null = null
    let retry: number | undefined
    let stopped = false
    const open = () => {
      stream = new EventSource(apiUrl('stream', { kind: 'event', type, location, source }))
      stream.onopen = () => setConnected(true)
      stream.onerror = () => {
        setConnected(false)
        if (stream?.readyState !== EventSource.CLOSED || stopped) return
        // Closed for good (e.g. 401 after the session ended): check the session, then reopen.
        retry = window.setTimeout(() => {
          api('session').then(open, () => {})
        }, RECONNECT_MS)
      }
      stream.addEventListener('event', (message) => {
        const event = JSON.parse((message as MessageEvent<string>).data) as LiveEventJson
        // A duplicate is an event already listed (the first copy's id).
        if (event.outcome !== 'accepted') return
        const now = latest.current
        if (now.paused || now.holding || window.scrollY > 80) {
          setWaiting((old) =>
            old.some((e) => e.id === event.id) ? old : [...old, event].slice(-MAX_WAITING),
          )
        } else now.onArrive(event)
      })
    }
    open()
    return () => {
      stopped = true
      window.clearTimeout(retry)
      stream?.close()
      setConnected(false)
    }
  }, [enabled, type, location, source])

  // Leaving the first page or changing filters: what waited belongs to the old view.
  useEffect(() => setWaiting([]), [enabled, type, location, source])

  const showWaiting = () => {
    for (const event of waiting) latest.current.onArrive(event)
    setWaiting([])
    window.scrollTo(0, 0)
  }

  return {
    state: !connected ? 'connecting' : paused ? 'paused' : options.holding ? 'held' : 'live',
    paused,
    waiting,
    toggle: () => {
      if (paused) showWaiting()
      setPaused(!paused)
    },
    showWaiting,
  }
}
