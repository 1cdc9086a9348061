import type { StatsRange, StatsSeries, Store } from '../store/types.js'

const SERIES = ['received', 'delivered', 'failed', 'backlog', 'dead'] as const
type Values = Record<(typeof SERIES)[number], number>

export interface SeriesCacheOptions {
  /** A bucket that ended this long before a computation began is final. @default 300000 */
  settleMs?: number
  /** Buckets per store call. @default 1 */
  bucketsPerCall?: number
}

/**
 * The console's charts, computed once per bucket. A week's series reads every event, attempt and
 * finished delivery of the week (4 s at 1M events on SQLite, docs/benchmarks.md), and on SQLite a
 * statement holds the event loop, ingest included. So:
 * - the store is asked for one bucket per call: the longest a call holds SQLite is one bucket's
 *   rows (a sixtieth of the window);
 * - a bucket that ended `settleMs` before its computation began is kept and never asked again
 *   (settled: webhooks received then are committed, attempts started then are recorded — unless
 *   one ran longer than that). A refresh asks only for the last few buckets.
 * What a kept bucket misses: later replays, purges and retention (the store's own numbers for a
 * past bucket change with them too, stats-series.ts) until the process restarts.
 * Callers asking while a computation runs share it.
 */
export class SeriesCache {
  readonly #store: Pick<Store, 'statsSeries'>
  readonly #settleMs: number
  readonly #perCall: number
  /** bucket width → bucket start → its numbers. */
  readonly #kept = new Map<number, Map<number, Values>>()
  readonly #inFlight = new Map<string, Promise<StatsSeries>>()

  constructor(store: Pick<Store, 'statsSeries'>, options: SeriesCacheOptions = {}) {
    this.#store = store
    this.#settleMs = options.settleMs ?? 300_000
    this.#perCall = options.bucketsPerCall ?? 1
  }

  series(range: StatsRange, now: number): Promise<StatsSeries> {
    const key = `${range.start}/${range.bucketMs}/${range.buckets}`
    let running = this.#inFlight.get(key)
    if (!running) {
      running = this.#compute(range, now).finally(() => this.#inFlight.delete(key))
      this.#inFlight.set(key, running)
    }
    return running
  }

  async #compute(range: StatsRange, now: number): Promise<StatsSeries> {
    const { start, bucketMs, buckets } = range
    const kept = this.#kept.get(bucketMs) ?? new Map<number, Values>()
    this.#kept.set(bucketMs, kept)
    for (const at of kept.keys()) if (at < start) kept.delete(at)
    const out: StatsSeries = { ...range, received: [], delivered: [], failed: [], backlog: [], dead: [] }
    for (const name of SERIES) out[name] = new Array<number>(buckets).fill(0)

    let i = 0
    while (i < buckets) {
      const known = kept.get(start + i * bucketMs)
      if (known) {
        for (const name of SERIES) out[name][i] = known[name]
        i++
        continue
      }
      let count = 1
      while (count < this.#perCall && i + count < buckets && !kept.has(start + (i + count) * bucketMs))
        count++
      const part = await this.#store.statsSeries({ start: start + i * bucketMs, bucketMs, buckets: count })
      for (let j = 0; j < count; j++) {
        const values = Object.fromEntries(SERIES.map((name) => [name, part[name][j]!])) as Values
        for (const name of SERIES) out[name][i + j] = values[name]
        const bucketStart = start + (i + j) * bucketMs
        if (bucketStart + bucketMs <= now - this.#settleMs) kept.set(bucketStart, values)
      }
      i += count
    }
    return out
  }
}
