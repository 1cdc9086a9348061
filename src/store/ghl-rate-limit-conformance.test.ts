import { describe, expect, it } from 'vitest'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import type { GhlRateLimits, GhlTokenOwner, Store } from './types.js'

/**
 * GHL rate windows (ghl-rate-limit-store.ts) on both stores: the sliding window, the daily count,
 * pauses GHL asked for and announced limits, shared by two store instances on one database (two
 * gateway processes), and never more than the burst in any window however many ask at once.
 */

const owner = (ownerId = 'loc_1'): GhlTokenOwner => ({ appId: 'app_1', userType: 'Location', ownerId })
const LIMITS: GhlRateLimits = { burst: 5, windowMs: 60_000, daily: 1000 }

describe.each(STORE_HARNESSES)('GHL rate limit store: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  storePerTest(harness, (fresh) => {
    store = fresh
  })

  it('grants the burst, then refuses with the wait until the oldest call leaves the window; owners are counted apart', async () => {
    const now = Date.now()
    for (let i = 0; i < 5; i++)
      expect(await store.takeGhlRateSlot(owner(), LIMITS, now)).toMatchObject({ granted: true })
    const refused = await store.takeGhlRateSlot(owner(), LIMITS, now)
    expect(refused).toMatchObject({ granted: false, window: 'burst' })
    // PostgreSQL decides on its own clock: the wait is a window less the time since the first grant.
    const wait = refused.granted ? 0 : refused.retryAfterMs
    expect(wait).toBeGreaterThan(50_000)
    expect(wait).toBeLessThanOrEqual(60_000)
    expect(await store.takeGhlRateSlot(owner('loc_2'), LIMITS, now)).toMatchObject({ granted: true })
    expect(await store.takeGhlRateSlot({ ...owner(), userType: 'Company' }, LIMITS, now)).toMatchObject({
      granted: true,
    })
  })

  it('refuses at the daily limit until the next UTC midnight', async () => {
    const now = Date.now()
    const daily = { burst: 100, windowMs: 1000, daily: 2 }
    await store.takeGhlRateSlot(owner(), daily, now)
    await store.takeGhlRateSlot(owner(), daily, now)
    const refused = await store.takeGhlRateSlot(owner(), daily, now)
    expect(refused).toMatchObject({ granted: false, window: 'daily' })
    const untilMidnight = 86_400_000 - (Date.now() % 86_400_000)
    expect(refused.granted ? 0 : refused.retryAfterMs).toBeGreaterThan(untilMidnight - 5000)
    expect(refused.granted ? 0 : refused.retryAfterMs).toBeLessThanOrEqual(untilMidnight + 5000)
  })

  it("a pause noted by one process stops another's calls; an announced lower limit applies to both", async () => {
    const other = harness.openSibling()
    try {
      await store.noteGhlRateAnswer(owner(), { pause: { window: 'burst', forMs: 30_000 } }, Date.now())
      const refused = await other.takeGhlRateSlot(owner(), LIMITS, Date.now())
      expect(refused).toMatchObject({ granted: false, window: 'burst' })
      expect(refused.granted ? 0 : refused.retryAfterMs).toBeGreaterThan(25_000)

      await store.noteGhlRateAnswer(owner('loc_2'), { announced: { burst: 2 } }, Date.now())
      const limits = { ...LIMITS, burst: 100 }
      const takes = [
        await other.takeGhlRateSlot(owner('loc_2'), limits, Date.now()),
        await store.takeGhlRateSlot(owner('loc_2'), limits, Date.now()),
        await other.takeGhlRateSlot(owner('loc_2'), limits, Date.now()),
      ]
      expect(takes.map((take) => take.granted)).toEqual([true, true, false])

      await other.noteGhlRateAnswer(owner('loc_3'), { pause: { window: 'daily' } }, Date.now())
      expect(await store.takeGhlRateSlot(owner('loc_3'), LIMITS, Date.now())).toMatchObject({
        granted: false,
        window: 'daily',
      })
    } finally {
      await other.close()
    }
  })

  it('many concurrent takes from two store instances never exceed the burst in any window', async () => {
    const other = harness.openSibling()
    try {
      const limits = { burst: 20, windowMs: 400, daily: 100_000 }
      // Each grant happened between the call's start and its answer: [sent, answered].
      const granted: { sent: number; answered: number }[] = []
      const deadline = Date.now() + 1500
      // Eight callers per instance asking as fast as the store answers, for 1.5 s (bounded).
      const caller = async (s: Store) => {
        for (let asked = 0; asked < 2000 && Date.now() < deadline; asked++) {
          const sent = Date.now()
          const take = await s.takeGhlRateSlot(owner(), limits, sent)
          if (take.granted) granted.push({ sent, answered: Date.now() })
        }
      }
      await Promise.all([
        ...Array.from({ length: 8 }, () => caller(store)),
        ...Array.from({ length: 8 }, () => caller(other)),
      ])
      // burst + 1 grants that certainly fell within one window (the last answered less than a
      // window after the first was sent) would break the limit. Sorted by when they were sent.
      granted.sort((a, b) => a.sent - b.sent)
      const over = granted.slice(0, -limits.burst).filter((first, i) => {
        const group = granted.slice(i, i + limits.burst + 1)
        return Math.max(...group.map((g) => g.answered)) - first.sent < limits.windowMs
      })
      expect(over).toEqual([])
      // …and the limit was used, not starved: at least two full windows' worth in 1.5 s.
      expect(granted.length).toBeGreaterThanOrEqual(2 * limits.burst)
    } finally {
      await other.close()
    }
  })
})
