import type { SavedResponse } from '../destinations/http/client.js'
import type { Attempt, Delivery } from '../store/types.js'
import type { AttemptJson, GhlCallJson } from './schemas/attempts.js'

/**
 * How the admin API shows a delivery's attempts, in one place for every route that does (their
 * schema: src/api/schemas/attempts.ts).
 *
 * One numbering everywhere: a delivery runs in cycles (`cycle` 0 is the original, n the n-th
 * replay) and each attempt is numbered 1, 2, … within its cycle — the number the handler saw as
 * `ctx.attempt` and the destination as `x-gateway-attempt`.
 *
 * Deprecated aliases, kept so clients written against the first API keep working (rather than a
 * `/api/v2`: only two names changed, and an alias costs one field): `attempts` (= `attemptsInCycle`)
 * and `attemptsLog` (= `attemptHistory`). Both go in the next major version; the OpenAPI document
 * marks them `deprecated`.
 */

/** A delivery's counters: its cycle, attempts in that cycle, attempts over every cycle. */
export function attemptCounters(d: Pick<Delivery, 'cycle' | 'attempts' | 'totalAttempts'>) {
  return {
    cycle: d.cycle,
    attemptsInCycle: d.attempts,
    totalAttempts: d.totalAttempts,
    /** @deprecated `attemptsInCycle` */
    attempts: d.attempts,
  }
}

/** Every attempt of a delivery, oldest first, under its name and its deprecated alias. */
export function attemptHistoryJson(history: readonly Attempt[]) {
  const attemptHistory = history.map((a): AttemptJson => {
    // A handler's attempt keeps its GHL calls where a destination's keeps its answer
    // (deliver/handler-runner.ts): shown apart, so `response` stays a destination's answer.
    const ghlCalls = (a.response as { ghlCalls?: GhlCallJson[] } | null)?.ghlCalls
    return {
      ...a,
      startedAt: new Date(a.startedAt).toISOString(),
      response: ghlCalls ? null : (a.response as SavedResponse | null),
      ...(ghlCalls ? { ghlCalls } : {}),
    }
  })
  return {
    attemptHistory,
    /** @deprecated `attemptHistory` */
    attemptsLog: attemptHistory,
  }
}
