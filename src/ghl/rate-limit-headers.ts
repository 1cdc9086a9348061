import type { GhlRateAnswer } from '../store/types.js'

/**
 * What an answer from GHL says about its rate limits, read from its `X-RateLimit-*` headers
 * (docs/ghl-apps.md, "Rate limits"): a pause when GHL said no (429) or said nothing is left, and the
 * limits it announced. Undefined when there is nothing to record — the usual answer, which then
 * costs no write.
 *
 * - `X-RateLimit-Remaining: 0` → no more in this interval: pause for `X-RateLimit-Interval-Milliseconds`.
 * - `X-RateLimit-Daily-Remaining: 0` → pause until the next UTC midnight (GHL documents no reset time).
 * - 429 → pause: daily if the daily count is spent, else for the interval (or `Retry-After`, when sent).
 */
export function readRateLimitAnswer(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  fallbackIntervalMs: number,
): GhlRateAnswer | undefined {
  const header = (name: string) => {
    const value = headers[name] ?? headers[name.toLowerCase()]
    const text = Array.isArray(value) ? value[0] : value
    if (text === undefined || text.trim() === '') return undefined
    const number = Number(text)
    return Number.isFinite(number) && number >= 0 ? number : undefined
  }
  const remaining = header('x-ratelimit-remaining')
  const dailyRemaining = header('x-ratelimit-daily-remaining')
  const intervalMs = header('x-ratelimit-interval-milliseconds')
  const retryAfterSeconds = header('retry-after')
  const burst = header('x-ratelimit-max')
  const daily = header('x-ratelimit-limit-daily')

  let pause: GhlRateAnswer['pause']
  const interval = intervalMs && intervalMs > 0 ? intervalMs : fallbackIntervalMs
  if (dailyRemaining === 0) pause = { window: 'daily' }
  else if (status === 429 && retryAfterSeconds !== undefined)
    pause = { window: 'burst', forMs: retryAfterSeconds * 1000 }
  else if (status === 429 || remaining === 0) pause = { window: 'burst', forMs: interval }

  const announced: NonNullable<GhlRateAnswer['announced']> = {}
  if (burst !== undefined && burst >= 1) announced.burst = Math.floor(burst)
  if (intervalMs !== undefined && intervalMs >= 1) announced.windowMs = Math.floor(intervalMs)
  if (daily !== undefined && daily >= 1) announced.daily = Math.floor(daily)
  const hasAnnounced = Object.keys(announced).length > 0
  if (!pause && !hasAnnounced) return undefined
  return { ...(pause && { pause }), ...(hasAnnounced && { announced }) }
}
