import { toMilliseconds } from '../duration.js'

/**
 * Retry policy of one subscriber. Backoff is exponential with full jitter between `minDelay` and
 * a cap that doubles per attempt up to `maxDelay`; a delivery dies when it has had `maxAttempts`
 * attempts or when its cycle is older than `maxAge`, whichever comes first.
 *
 * Defaults: 5 s … 10 h, 18 attempts, 24 h. With full jitter the expected delays add up to about
 * 24 h by the 18th attempt (caps 5 s, 10 s, 20 s, … 5.7 h, then 10 h), so both limits bite at
 * about the same time: a day of retries, like GHL's own logs and resend window.
 */
export interface RetryPolicy {
  /** @default 5000 (5 s) */
  minDelayMs: number
  /** @default 36_000_000 (10 h) */
  maxDelayMs: number
  /** @default 18 */
  maxAttempts: number
  /** @default 86_400_000 (24 h) */
  maxAgeMs: number
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  minDelayMs: 5_000,
  maxDelayMs: 36_000_000,
  maxAttempts: 18,
  maxAgeMs: 86_400_000,
})

/** Options as users write them: numbers are milliseconds, strings durations (`30s`, `10h`). */
export interface RetryPolicyInput {
  minDelay?: number | string
  maxDelay?: number | string
  maxAttempts?: number
  maxAge?: number | string
}

export function retryPolicy(input: RetryPolicyInput = {}): RetryPolicy {
  const ms = (value: number | string | undefined, fallback: number, name: string) => {
    if (value === undefined) return fallback
    const parsed = toMilliseconds(value)
    if (parsed === undefined) {
      throw new Error(`retry.${name} must be a duration such as 30s or 10h (got ${JSON.stringify(value)})`)
    }
    return parsed
  }
  const policy = {
    minDelayMs: ms(input.minDelay, DEFAULT_RETRY_POLICY.minDelayMs, 'minDelay'),
    maxDelayMs: ms(input.maxDelay, DEFAULT_RETRY_POLICY.maxDelayMs, 'maxDelay'),
    maxAttempts: input.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    maxAgeMs: ms(input.maxAge, DEFAULT_RETRY_POLICY.maxAgeMs, 'maxAge'),
  }
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new Error(`retry.maxAttempts must be a positive integer (got ${JSON.stringify(input.maxAttempts)})`)
  }
  if (policy.maxDelayMs < policy.minDelayMs)
    throw new Error('retry.maxDelay must not be less than retry.minDelay')
  return policy
}

/**
 * Delay before the next attempt after `attempt` failures (1-based): uniform in
 * [minDelay, min(maxDelay, minDelay · 2^(attempt-1))]. Pure given `random` (tests pass their own).
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** Math.min(attempt - 1, 40))
  return Math.round(policy.minDelayMs + random() * (cap - policy.minDelayMs))
}

export type RetryDecision = { kind: 'retry'; runAt: number } | { kind: 'dead'; reason: string }

/**
 * After a failed attempt: retry (when) or dead (why). `requestedDelayMs` is a delay the failure
 * asked for (RetryableError, Retry-After); it replaces the backoff but not the limits.
 */
export function decideRetry(
  policy: RetryPolicy,
  state: { attempts: number; cycleStartedAt: number },
  now: number,
  requestedDelayMs?: number,
  random?: () => number,
): RetryDecision {
  if (state.attempts >= policy.maxAttempts) {
    return { kind: 'dead', reason: `gave up after ${state.attempts} attempts (retry.maxAttempts)` }
  }
  const delay = requestedDelayMs ?? backoffDelay(policy, state.attempts, random)
  const runAt = now + delay
  if (runAt - state.cycleStartedAt > policy.maxAgeMs) {
    return {
      kind: 'dead',
      reason: `the next attempt would be past retry.maxAge (${Math.round(policy.maxAgeMs / 1000)} s)`,
    }
  }
  return { kind: 'retry', runAt }
}

/**
 * The longest a delivery's cycle may last while it is only being deferred (GHL's rate limit), when
 * the policy's own `maxAge` is shorter: 8 days — a week of daily limits spent, plus one to spare.
 * Deferrals use up no attempts and ignore `maxAge`, so without this bound a location that stays over
 * its limit would keep its deliveries waiting forever.
 */
export const MAX_DEFERRAL_AGE_MS = 8 * 86_400_000

/**
 * After an attempt deferred by a rate limit: run again after `delayMs` — no attempt used and
 * `maxAge` not applied — unless that is past max(maxAge, MAX_DEFERRAL_AGE_MS) since the cycle started.
 */
export function decideDeferral(
  policy: RetryPolicy,
  cycleStartedAt: number,
  now: number,
  delayMs: number,
): RetryDecision {
  const runAt = now + delayMs
  const bound = Math.max(policy.maxAgeMs, MAX_DEFERRAL_AGE_MS)
  if (runAt - cycleStartedAt > bound) {
    return {
      kind: 'dead',
      reason: `still deferred by GHL's rate limit ${Math.round(bound / 86_400_000)} days after the cycle started (the longest a delivery waits on a rate limit)`,
    }
  }
  return { kind: 'retry', runAt }
}
