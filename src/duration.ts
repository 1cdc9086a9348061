const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Parses a human duration (`250ms`, `30s`, `5m`, `24h`, `7d`, or a bare number of milliseconds)
 * into milliseconds. Returns undefined for text that is not a duration, so callers can word the error.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text)
  if (!match) return undefined
  const unit = (match[2] ?? 'ms').toLowerCase()
  return Math.round(Number(match[1]) * UNITS[unit]!)
}

/**
 * A duration as options given in code take it (handler `timeout`, `retry.*`, `RetryableError`'s
 * `retryAfter`): a number of milliseconds, or text `parseDuration` reads. Undefined for anything
 * else, negative or not finite, so callers can word the error.
 */
export function toMilliseconds(value: number | string): number | undefined {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? parseDuration(value) : undefined
  return ms !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : undefined
}

/** Formats milliseconds the way `parseDuration` reads them, choosing the largest exact unit. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
