import type { StatsRange, StatsSeries, Store } from '../store/types.js'

const SERIES = ['received', 'delivered', 'failed', 'backlog', 'dead'] as const
type Values = Record<(typeof SERIES)[number], number>

export interface SeriesCacheOptions {
  /** A bucket that ended this long before a computation began is final. @default 300000 */
  settleMs?: number
}

/**
 * The console's charts, each bucket computed until it has settled, then kept. A week's series
 * reads every event, attempt and finished delivery of the week (docs/benchmarks.md), and every
 * console on the overview refreshes every 10 s. A bucket that ended `settleMs` before a
 * computation began is kept and never asked for again: webhooks received then are committed and
 * attempts started then are recorded (unless one ran longer than that). A refresh asks the store
 * only for the buckets after the kept ones — one or two of a week's, the last five or six of an
 * hour's. The store's answer for such a suffix is exact on its own (stats-series.ts: the range
 * ends after now).
 * What a kept bucket misses: later replays, purges and retention (the store's own numbers for a
 * past bucket change with them too) until the process restarts. Callers asking while a
 * computation runs share it.
 */
export class SeriesCache {
  readonly #store: Pick<Store, 'statsSeries'>
  readonly #settleMs: number
  /** bucket width → bucket start → its numbers. */
  readonly #kept = new Map<number, Map<number, Values>>()
  readonly #inFlight = new Map<string, Promise<StatsSeries>>()

  constructor(store: Pick<Store, 'statsSeries'>, options: SeriesCacheOptions = {}) {
    this.#store = store
    this.#settleMs = options.settleMs ?? 300_000
  }

  /** The series of `range`, which must end after `now`. */
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
    let first = 0
    while (first < buckets && kept.has(start + first * bucketMs)) first++
    const rest = await this.#store.statsSeries({
      start: start + first * bucketMs,
      bucketMs,
      buckets: buckets - first,
    })
    for (let i = 0; i < buckets; i++) {
      const at = start + i * bucketMs
      const values =
        kept.get(at) ?? (Object.fromEntries(SERIES.map((name) => [name, rest[name][i - first]!])) as Values)
      for (const name of SERIES) out[name].push(values[name])
      if (i >= first && at + bucketMs <= now - this.#settleMs) kept.set(at, values)
    }
    return out
  }
}
