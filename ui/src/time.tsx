import { useEffect, useState } from 'preact/hooks'
import { usePrefs, type Zone } from './prefs.js'

/** Times as "3 min ago", the exact instant in `title` (UTC or local, as the viewer chose). */

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
]

export function relativeTime(ms: number, now: number): string {
  let value = (ms - now) / 1000
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit)
    value /= size
  }
  return ''
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

export function absoluteTime(ms: number, zone: Zone): string {
  const d = new Date(ms)
  if (zone === 'utc') return `${d.toISOString().slice(0, 23).replace('T', ' ')} UTC`
  const offset = -d.getTimezoneOffset()
  const sign = offset >= 0 ? '+' : '-'
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} ${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(
    Math.abs(offset) % 60,
  )}`
}

const tickers = new Set<(now: number) => void>()
setInterval(() => {
  const now = Date.now()
  for (const tick of tickers) tick(now)
}, 15_000)

/** The current time, updated every 15 s: relative times stay true on a page left open. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    tickers.add(setNow)
    return () => {
      tickers.delete(setNow)
    }
  }, [])
  return now
}

export function Time({ iso }: { iso: string | null | undefined }) {
  const { zone } = usePrefs()
  const now = useNow()
  if (!iso) return <span class="muted">—</span>
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return <span>{iso}</span>
  return (
    <time dateTime={iso} title={absoluteTime(ms, zone)}>
      {relativeTime(ms, now)}
    </time>
  )
}
