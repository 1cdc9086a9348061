import { describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import type { StatsRange, Store } from '../store/types.js'
import { SeriesCache } from './series-cache.js'

/** The overview's series cache on each store: settled buckets kept, the rest asked for in one call. */

const S = 1_700_000_040_000
const MIN = 60_000
const range: StatsRange = { start: S, bucketMs: MIN, buckets: 5 }

describe.each(STORE_HARNESSES)('SeriesCache: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  storePerTest(harness, (fresh) => {
    store = fresh
  })
  const receive = (...times: number[]) =>
    store.insertEvents(times.map((receivedAt) => sampleEvent({ receivedAt, deliveries: [] })))
  /** The store, counting the buckets it is asked for. */
  const counted = () => {
    const asked: number[] = []
    return {
      asked,
      statsSeries: (r: StatsRange) => {
        asked.push(r.buckets)
        return store.statsSeries(r)
      },
    }
  }

  it('answers what the store answers, and asks again only for the buckets not yet settled', async () => {
    await receive(S + 10_000, S + 70_000, S + 250_000)
    const source = counted()
    const cache = new SeriesCache(source)
    // Five minutes after the second bucket ended: buckets 0 and 1 are settled.
    const now = S + 2 * MIN + 300_000
    expect(await cache.series(range, now)).toEqual(await store.statsSeries(range))
    expect(source.asked).toEqual([5])

    // A late arrival in a settled bucket is not seen; one in an unsettled bucket is.
    await receive(S + 20_000, S + 130_000)
    source.asked.length = 0
    expect((await cache.series(range, now)).received).toEqual([1, 1, 1, 0, 1])
    expect(source.asked).toEqual([3])
    expect((await store.statsSeries(range)).received).toEqual([2, 1, 1, 0, 1])
  })

  it('shares a computation among callers asking meanwhile', async () => {
    await receive(S + 10_000)
    const source = counted()
    const cache = new SeriesCache(source)
    const [a, b] = await Promise.all([cache.series(range, S), cache.series(range, S)])
    expect(a).toBe(b)
    expect(a.received).toEqual([1, 0, 0, 0, 0])
    expect(source.asked).toEqual([5])
  })
})
