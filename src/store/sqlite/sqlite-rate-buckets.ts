import type Database from 'better-sqlite3'
import type { WriteGate } from '../sql/runner.js'
import type { RateBucketStore } from '../types.js'

/**
 * Shared token buckets on SQLite: one statement refills by the time elapsed and takes up to `want`
 * whole tokens. (SQLite has one writer, so the upsert is already atomic.)
 */
export function sqliteRateBuckets(db: Database.Database, write: WriteGate): RateBucketStore {
  let take: Database.Statement | undefined
  return {
    takeRateTokens: write(async (key, want, limit, now) => {
      take ??= db.prepare(`INSERT INTO rate_buckets AS r (key, tokens, granted, updated_at)
        VALUES (@key, @burst - min(@want, @burst), min(@want, @burst), @now)
        ON CONFLICT (key) DO UPDATE SET
          granted = min(@want, CAST(min(@burst, r.tokens + max(0, @now - r.updated_at) / 1000.0 * @rate) AS INTEGER)),
          tokens = min(@burst, r.tokens + max(0, @now - r.updated_at) / 1000.0 * @rate)
            - min(@want, CAST(min(@burst, r.tokens + max(0, @now - r.updated_at) / 1000.0 * @rate) AS INTEGER)),
          updated_at = max(r.updated_at, @now)
        RETURNING granted`)
      const row = take.get({
        key,
        want: Math.floor(want),
        burst: limit.burst,
        rate: limit.perSecond,
        now,
      }) as {
        granted: number
      }
      return row.granted
    }),
  }
}
