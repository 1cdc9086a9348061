import { describe, expect, it } from 'vitest'
import {
  DAY_MS,
  effectiveLimits,
  emptyGhlRateState,
  type GhlRateState,
  noteAnswer,
  settleCall,
  takeSlot,
} from './ghl-rate-window.js'

/** The rule one ghl_rate_windows row follows (both stores run it under the row's lock). */

const LIMITS = { burst: 5, windowMs: 10_000, daily: 1000 }
const T0 = Date.UTC(2026, 11, 3, 9, 0, 0)

/** Asks at each time in turn; returns the times that were granted and the last state. */
function run(times: number[], limits = LIMITS, start: GhlRateState = emptyGhlRateState()) {
  let state = start
  const granted: number[] = []
  for (const t of times) {
    const result = takeSlot(state, limits, t)
    state = result.state
    if (result.take.granted) granted.push(t)
  }
  return { granted, state }
}

/** The most grants inside any span of `windowMs` (a span [t, t + windowMs) starting at a grant is the worst). */
const maxInAnyWindow = (granted: number[], windowMs: number) =>
  Math.max(0, ...granted.map((t) => granted.filter((u) => u >= t && u < t + windowMs).length))

describe('GHL rate window rule', () => {
  it('grants the whole burst at once, then refuses with the wait until the oldest call leaves the window', () => {
    let state = emptyGhlRateState()
    for (let i = 0; i < 5; i++) {
      const r = takeSlot(state, LIMITS, T0 + i)
      expect(r.take).toMatchObject({ granted: true })
      state = r.state
    }
    const refused = takeSlot(state, LIMITS, T0 + 2000)
    expect(refused.take).toEqual({ granted: false, window: 'burst', retryAfterMs: 8000 })
    expect(takeSlot(refused.state, LIMITS, T0 + 10_000).take).toMatchObject({ granted: true })
  })

  it('never more than the burst in any window, asked every 50 ms for a minute (a token bucket would allow ~2×)', () => {
    const times = Array.from({ length: 1200 }, (_, i) => T0 + i * 50)
    const { granted, state } = run(times)
    expect(maxInAnyWindow(granted, LIMITS.windowMs)).toBe(LIMITS.burst)
    // …while using the whole allowance: 5 per 10 s for 60 s.
    expect(granted.length).toBe(30)
    // The log is pruned as it goes: never more than the burst.
    expect(state.calls.length).toBeLessThanOrEqual(LIMITS.burst)
  })

  it('counts per UTC day and refuses at the daily limit until the next midnight', () => {
    const daily = { burst: 1000, windowMs: 1000, daily: 3 }
    const { state } = run([T0, T0 + 1, T0 + 2], daily)
    const refused = takeSlot(state, daily, T0 + 3)
    const midnight = Date.UTC(2026, 11, 4)
    expect(refused.take).toEqual({ granted: false, window: 'daily', retryAfterMs: midnight - (T0 + 3) })
    expect(takeSlot(refused.state, daily, midnight).take).toMatchObject({ granted: true })
    expect(takeSlot(refused.state, daily, midnight).state.dayCalls).toBe(1)
  })

  it('a pause GHL asked for refuses every call until it ends; a shorter one later does not shorten it', () => {
    let state = noteAnswer(emptyGhlRateState(), { pause: { window: 'burst', forMs: 10_000 } }, T0)
    state = noteAnswer(state, { pause: { window: 'burst', forMs: 1000 } }, T0 + 100)
    expect(takeSlot(state, LIMITS, T0 + 5000).take).toEqual({
      granted: false,
      window: 'burst',
      retryAfterMs: 5000,
    })
    expect(takeSlot(state, LIMITS, T0 + 10_000).take).toMatchObject({ granted: true })
    const daily = noteAnswer(emptyGhlRateState(), { pause: { window: 'daily' } }, T0)
    expect(takeSlot(daily, LIMITS, T0).take).toEqual({
      granted: false,
      window: 'daily',
      retryAfterMs: Date.UTC(2026, 11, 4) - T0,
    })
  })

  it('honours a lower announced limit with the same margin, never a higher one', () => {
    const settings = { burst: 90, windowMs: 10_000, daily: 190_000 }
    const lower = noteAnswer(
      emptyGhlRateState(),
      { announced: { burst: 50, daily: 100_000, windowMs: 20_000 } },
      T0,
    )
    expect(effectiveLimits(settings, lower)).toEqual({ burst: 45, windowMs: 20_000, daily: 95_000 })
    const higher = noteAnswer(emptyGhlRateState(), { announced: { burst: 400, daily: 1_000_000 } }, T0)
    expect(effectiveLimits(settings, higher)).toEqual(settings)
    // Lowered below what the log already holds: the wait covers every call that must leave first.
    const { state } = run([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4])
    const take = takeSlot(
      noteAnswer(state, { announced: { burst: 3 } }, T0 + 5),
      { ...LIMITS, burst: 100 },
      T0 + 5,
    )
    expect(take.take).toEqual({ granted: false, window: 'burst', retryAfterMs: 10_000 + 2 - 5 })
  })

  it('keeps the log ordered when a clock steps back', () => {
    const { state } = run([T0 + 1000, T0])
    expect(state.calls).toEqual([T0 + 1000, T0 + 1000])
    expect(DAY_MS).toBe(86_400_000)
  })

  it('a call counts from its grant until a window after its answer: a slow call holds its slot longer', () => {
    const one = { burst: 1, windowMs: 10_000, daily: 1000 }
    let state = takeSlot(emptyGhlRateState(), one, T0).state
    // Answered 3 s later: GHL may have received it then, so the next call waits until T0 + 13 s.
    state = settleCall(state, T0, T0 + 3000)
    expect(takeSlot(state, one, T0 + 10_000).take).toEqual({
      granted: false,
      window: 'burst',
      retryAfterMs: 3000,
    })
    expect(takeSlot(state, one, T0 + 13_000).take).toMatchObject({ granted: true })
    // Settled out of order, the log stays ordered.
    let two = run([T0, T0 + 1, T0 + 2]).state
    two = settleCall(two, T0 + 1, T0 + 5)
    expect(two.calls).toEqual([T0, T0 + 2, T0 + 5])
  })
})
