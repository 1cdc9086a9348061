/** @default 300 — the window Stripe and the Standard Webhooks reference library use. */
export const DEFAULT_TOLERANCE_SECONDS = 300

// Seconds since the epoch stay below 1e11 until the year 5138, while milliseconds passed 1e11 in
// 1973, so the magnitude tells the unit apart for any real clock.
const MILLISECONDS_THRESHOLD = 1e11
const DIGITS = /^\d{1,16}$/

/**
 * A Unix timestamp header value in ms since the epoch, or `undefined` when it is not plain digits.
 * `auto` accepts seconds or milliseconds; `seconds` is for protocols that fix the unit.
 */
export function parseUnixTimestamp(value: string, unit: 'seconds' | 'auto'): number | undefined {
  if (!DIGITS.test(value)) return undefined
  const number = Number(value)
  return unit === 'auto' && number >= MILLISECONDS_THRESHOLD ? number : number * 1000
}

/**
 * `undefined` when `signedAt` is within ±`toleranceSeconds` of `now`, else a sentence for the
 * reject message. Both directions are checked: a timestamp far in the future would otherwise
 * stretch the replay window of a captured request.
 */
export function toleranceProblem(
  header: string,
  signedAt: number,
  now: number,
  toleranceSeconds: number,
): string | undefined {
  const skew = now - signedAt
  if (Math.abs(skew) <= toleranceSeconds * 1000) return undefined
  const direction = skew > 0 ? 'in the past' : 'in the future'
  return `${header} is ${Math.ceil(Math.abs(skew) / 1000)} seconds ${direction}, outside the allowed window of ±${toleranceSeconds} seconds; check the sender's clock (NTP) and that the request is not a replay`
}

/** Validates a configured tolerance once at boot. */
export function isValidTolerance(seconds: number): boolean {
  return Number.isFinite(seconds) && seconds > 0
}
