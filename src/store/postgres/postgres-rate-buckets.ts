import type pg from 'pg'
import type { RateBucketStore } from '../types.js'

/**
 * Shared token buckets on PostgreSQL: one statement refills by the time elapsed — on the database's
 * clock, so the gateway processes' clocks do not matter — and takes up to `want` whole tokens. The
 * row lock serialises concurrent takes; a take that waited for the lock and whose statement started
 * before the previous one's gets no refill (never a negative one).
 */
const TAKE = `INSERT INTO rate_buckets AS r (key, tokens, granted, updated_at)
  VALUES ($1, $3 - least($2, floor($3)), least($2, floor($3))::int, now())
  ON CONFLICT (key) DO UPDATE SET
    granted = least($2, floor(least($3, r.tokens + greatest(0, extract(epoch from now() - r.updated_at)) * $4)))::int,
    tokens = least($3, r.tokens + greatest(0, extract(epoch from now() - r.updated_at)) * $4)
      - least($2, floor(least($3, r.tokens + greatest(0, extract(epoch from now() - r.updated_at)) * $4))),
    updated_at = greatest(r.updated_at, now())
  RETURNING granted`

export function postgresRateBuckets(pool: pg.Pool): RateBucketStore {
  return {
    async takeRateTokens(key, want, limit) {
      const { rows } = await pool.query<{ granted: number }>({
        name: 'take_rate_tokens',
        text: TAKE,
        values: [key, Math.floor(want), limit.burst, limit.perSecond],
      })
      return rows[0]!.granted
    },
  }
}
