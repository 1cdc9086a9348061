import type { GhlRateAnswer, GhlRateLimits, GhlRateTake, GhlRateWindowName } from './ghl-rate-limit-store.js'

/**
 * The rule of one `ghl_rate_windows` row, as pure functions both stores run under the row's lock
 * (see ghl-rate-limit-store.ts): given the row and the time, what to answer and what to store.
 *
 * The burst limit is a sliding-window log: a call is granted while fewer than `burst` granted calls
 * are younger than `windowMs`, and its time is appended; so no span of `windowMs` ever holds more
 * than `burst` grants, however they are spread (a token bucket with the same burst would allow
 * nearly twice as many across a window edge). The log keeps only calls inside the window, at most
 * `burst` numbers. The daily limit counts calls per UTC day.
 */

export const DAY_MS = 86_400_000

/** GHL's documented limits: what `GHL_RATE_LIMIT_*` keep a margin below. */
export const GHL_DOCUMENTED_LIMITS = { burst: 100, windowMs: 10_000, daily: 200_000 } as const

export interface GhlRateState {
  /** Times (ms) of the calls granted within the window, oldest first. */
  calls: number[]
  /** The UTC midnight (ms) `dayCalls` counts from. */
  dayStart: number
  dayCalls: number
  pausedUntil: number | null
  pausedWindow: GhlRateWindowName | null
  /** What GHL's headers last announced, null until they did. */
  ghlBurst: number | null
  ghlWindowMs: number | null
  ghlDaily: number | null
}

export const emptyGhlRateState = (): GhlRateState => ({
  calls: [],
  dayStart: 0,
  dayCalls: 0,
  pausedUntil: null,
  pausedWindow: null,
  ghlBurst: null,
  ghlWindowMs: null,
  ghlDaily: null,
})

/**
 * The limits to keep: the settings, lowered where GHL announced less than it documents. The margin
 * the settings keep below GHL's documented limit (90 of 100 by default) is kept below an announced
 * one too; an announced limit never raises the settings. A longer announced interval is taken as is.
 */
export function effectiveLimits(limits: GhlRateLimits, state: GhlRateState): GhlRateLimits {
  const scaled = (setting: number, announced: number | null, documented: number) =>
    announced === null
      ? setting
      : Math.max(1, Math.min(setting, Math.floor(announced * Math.min(1, setting / documented))))
  return {
    burst: scaled(limits.burst, state.ghlBurst, GHL_DOCUMENTED_LIMITS.burst),
    windowMs: Math.max(limits.windowMs, state.ghlWindowMs ?? 0),
    daily: scaled(limits.daily, state.ghlDaily, GHL_DOCUMENTED_LIMITS.daily),
  }
}

const utcDay = (now: number) => Math.floor(now / DAY_MS) * DAY_MS

/** One call asked for at `now`: granted (and recorded) or refused with the wait until a slot frees. */
export function takeSlot(
  state: GhlRateState,
  settings: GhlRateLimits,
  now: number,
): { take: GhlRateTake; state: GhlRateState } {
  const limits = effectiveLimits(settings, state)
  const today = utcDay(now)
  const dayCalls = state.dayStart === today ? state.dayCalls : 0
  // Calls inside the window; older ones no longer count and are dropped as we go.
  const calls = state.calls.filter((at) => at > now - limits.windowMs)
  const kept = { ...state, calls, dayStart: today, dayCalls }
  if (state.pausedUntil !== null && state.pausedUntil > now) {
    const window = state.pausedWindow ?? 'burst'
    return { take: { granted: false, window, retryAfterMs: state.pausedUntil - now }, state: kept }
  }
  if (dayCalls >= limits.daily) {
    return { take: { granted: false, window: 'daily', retryAfterMs: today + DAY_MS - now }, state: kept }
  }
  if (calls.length >= limits.burst) {
    // The call that must leave the window before one more fits (more than one when the limit was lowered).
    const leaving = calls[calls.length - limits.burst]!
    return {
      take: { granted: false, window: 'burst', retryAfterMs: Math.max(1, leaving + limits.windowMs - now) },
      state: kept,
    }
  }
  // Never before the last grant: the log stays ordered even if a clock stepped back.
  const at = Math.max(now, calls.at(-1) ?? now)
  return {
    take: { granted: true, at },
    state: { ...kept, calls: [...calls, at], dayCalls: dayCalls + 1, pausedUntil: null, pausedWindow: null },
  }
}

/**
 * The call granted at `grantedAt` was answered at `now`: its entry moves to `now` (the log stays
 * ordered). An entry no longer in the log (the call took longer than the window) is added back.
 */
export function settleCall(state: GhlRateState, grantedAt: number, now: number): GhlRateState {
  const calls = [...state.calls]
  const at = calls.indexOf(grantedAt)
  if (at >= 0) calls.splice(at, 1)
  const answered = Math.max(now, grantedAt)
  let insert = calls.length
  while (insert > 0 && calls[insert - 1]! > answered) insert--
  calls.splice(insert, 0, answered)
  return { ...state, calls }
}

/** What GHL answered, recorded: a pause (never shortened by a later, shorter one) and announced limits. */
export function noteAnswer(state: GhlRateState, answer: GhlRateAnswer, now: number): GhlRateState {
  let next = { ...state }
  if (answer.pause) {
    const until = answer.pause.window === 'daily' ? utcDay(now) + DAY_MS : now + answer.pause.forMs
    if (next.pausedUntil === null || next.pausedUntil <= now || until > next.pausedUntil) {
      next = { ...next, pausedUntil: until, pausedWindow: answer.pause.window }
    }
  }
  const announced = answer.announced
  if (announced) {
    next = {
      ...next,
      ghlBurst: announced.burst ?? next.ghlBurst,
      ghlWindowMs: announced.windowMs ?? next.ghlWindowMs,
      ghlDaily: announced.daily ?? next.ghlDaily,
    }
  }
  return next
}
