/**
 * GHL's delivery retry policies (REFERENCE.md c), as pure functions of an attempt's answer. Each
 * delivery is one webhook body on its way; after every attempt the policy says: done (a 2xx),
 * retry after a delay, or give up (what GHL would drop).
 *
 * - `ghl-2026` (guide of 2026-08-30, current): any non-2xx and no answer (timeout, refused) are
 *   retried, up to 12 retries after the original, with exponential backoff and random jitter.
 *   GHL does not publish the intervals; we model them on the earlier edition's headline values:
 *   doubling from 10 s, capped at 1 h, plus up to 10 % jitter (10 s, 20 s, 40 s, … ≈ 4.4 h in all).
 * - `ghl-2025` (guide of 2025-10-11 and 2026-03-28): only 429 is retried, about every 10 minutes
 *   plus jitter of seconds to minutes (we draw 5–120 s), up to 6 times; every other answer,
 *   including 5xx and no answer, is final.
 * - `none`: one attempt.
 *
 * `Retry-After` is not honoured: GHL documents no such thing.
 */

export const POLICY_NAMES = ['ghl-2026', 'ghl-2025', 'none'] as const
export type PolicyName = (typeof POLICY_NAMES)[number]

/** What one attempt got: an HTTP status, or none (timeout, connection refused or reset). */
export interface AttemptResult {
  status?: number
}

export type Decision =
  | { action: 'done' }
  | { action: 'retry'; delayMs: number }
  | { action: 'drop'; reason: 'not_retried' | 'retries_exhausted' }

export interface RetryPolicy {
  name: PolicyName
  maxRetries: number
  /** The longest total of delays a delivery can wait (before jitter), for deadlines. */
  maxTotalDelayMs: number
  /** `retriesSoFar` counts retries already made (0 after the original attempt). */
  decide(result: AttemptResult, retriesSoFar: number, random: () => number): Decision
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

const is2xx = (status: number | undefined) => status !== undefined && status >= 200 && status < 300

/** 2026: 10 s × 2^n, capped at 1 h; the n-th retry (0-based). */
export function ghl2026Delay(retry: number, random: () => number): number {
  const base = Math.min(10 * SECOND * 2 ** retry, HOUR)
  return base + base * 0.1 * random()
}

export function ghl2025Delay(random: () => number): number {
  return 10 * MINUTE + 5 * SECOND + random() * 115 * SECOND
}

const policies: Record<PolicyName, RetryPolicy> = {
  'ghl-2026': {
    name: 'ghl-2026',
    maxRetries: 12,
    maxTotalDelayMs:
      Array.from({ length: 12 }, (_, n) => Math.min(10 * SECOND * 2 ** n, HOUR)).reduce((a, b) => a + b, 0) *
      1.1,
    decide(result, retriesSoFar, random) {
      if (is2xx(result.status)) return { action: 'done' }
      if (retriesSoFar >= 12) return { action: 'drop', reason: 'retries_exhausted' }
      return { action: 'retry', delayMs: ghl2026Delay(retriesSoFar, random) }
    },
  },
  'ghl-2025': {
    name: 'ghl-2025',
    maxRetries: 6,
    maxTotalDelayMs: 6 * (10 * MINUTE + 120 * SECOND),
    decide(result, retriesSoFar, random) {
      if (is2xx(result.status)) return { action: 'done' }
      if (result.status !== 429) return { action: 'drop', reason: 'not_retried' }
      if (retriesSoFar >= 6) return { action: 'drop', reason: 'retries_exhausted' }
      return { action: 'retry', delayMs: ghl2025Delay(random) }
    },
  },
  none: {
    name: 'none',
    maxRetries: 0,
    maxTotalDelayMs: 0,
    decide(result) {
      return is2xx(result.status) ? { action: 'done' } : { action: 'drop', reason: 'not_retried' }
    },
  },
}

export function retryPolicy(name: PolicyName): RetryPolicy {
  return policies[name]
}

/** A small seedable PRNG (mulberry32) so `--seed` reproduces a run's mix and jitter. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
