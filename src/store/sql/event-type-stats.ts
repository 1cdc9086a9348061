import type { EventTypeStats, EventTypeStatsAnswer } from '../event-store.js'
import type { SqlRunner } from './runner.js'
import { join, param, raw, sql } from './sql.js'

const DAY_MS = 86_400_000
const WEEK_MS = 7 * DAY_MS

/**
 * Events counted per type and window: the work per call stays bounded (77 types × 2 windows × this
 * many index entries at most) however busy a type is; a count that reaches it means "at least".
 */
export const VOLUME_COUNT_LIMIT = 10_000

/** Event types counted per statement (see below). */
const TYPES_PER_STATEMENT = 8

/** Drifted events read per call: drift is rare, but a GHL schema change can make every event drift. */
export const DRIFT_READ_LIMIT = 10_000

/**
 * Traffic per stored event type (the catalog page): when it was last received, how many in the
 * last 24 h and 7 d, and how many of the last 7 d drifted from the documented schema. A few short
 * statements on existing indexes — no index of its own, so ingest pays nothing for this page:
 * - the window starts become seq numbers: the first event received at or after each start, one
 *   seek on `events_received_at` (seq and received_at grow together; events committed a few ms out
 *   of order at the edge may be counted on the wrong side of it);
 * - per type, last seen is `max(seq)` on `events_type (event_type, seq)` — one seek — and its
 *   received_at by primary key; the counts are index-only range scans of `events_type` above each
 *   window's seq, stopped at VOLUME_COUNT_LIMIT;
 * - drift: the newest DRIFT_READ_LIMIT drifted events of the week through the partial index
 *   `events_schema` (the repeated IN list is what lets SQLite use it), grouped by type;
 *   `driftLimitReached` says the counts stopped there.
 * The counts are as exact as the list filter `type=` is: another source whose own type spells a
 * canonical name is counted with it, as it is listed with it.
 *
 * Measured (bench/catalog-stats.ts, 1,000,000 events over 7 days, 77 types, 2 busy cores): see
 * docs/benchmarks.md.
 */
export async function eventTypeStats(
  db: SqlRunner,
  eventTypes: readonly string[],
  now: number,
): Promise<EventTypeStatsAnswer> {
  if (eventTypes.length === 0) return { types: [], countLimit: VOLUME_COUNT_LIMIT, driftLimitReached: false }
  const { int, time, decode } = db.dialect
  const count = int(raw('count(*)'))
  // Past every seq: a window without events counts nothing.
  const none = param(Number.MAX_SAFE_INTEGER)
  const cap = param(VOLUME_COUNT_LIMIT)
  const firstSince = (ms: number) =>
    sql`coalesce((SELECT seq FROM events WHERE received_at >= ${param(time(ms))} ORDER BY received_at LIMIT 1), ${none})`
  // The window starts, then the drift counts (bounded by DRIFT_READ_LIMIT).
  const [since] = await db.all<{ day: unknown; week: unknown }>(
    sql`SELECT ${firstSince(now - DAY_MS)} AS day, ${firstSince(now - WEEK_MS)} AS week`,
  )
  const day = param(Number(since!.day))
  const week = param(Number(since!.week))
  const drifts = await db.all<{ event_type: string; n: unknown; drift_read: unknown }>(sql`
    WITH drifted AS (
      SELECT event_type FROM events
      WHERE schema_status IN ('drift', 'unknown') AND schema_status = 'drift' AND seq >= ${week}
      ORDER BY seq DESC LIMIT ${param(DRIFT_READ_LIMIT + 1)}
    )
    SELECT event_type, ${count} AS n, (SELECT ${count} FROM drifted) AS drift_read
    FROM drifted GROUP BY event_type`)
  const drift = new Map(drifts.map((row) => [row.event_type, Number(row.n)]))
  const driftRead = Number(drifts[0]?.drift_read ?? 0)
  // Then the types a few at a time: each statement counts at most TYPES_PER_STATEMENT × 2 ×
  // VOLUME_COUNT_LIMIT index entries. On SQLite a statement holds the event loop (and with it
  // ingest) until it ends; all 77 types in one took ~0.5 s at 1M events, a slice of 8 takes ~1/10.
  const rows: Record<string, unknown>[] = []
  for (let at = 0; at < eventTypes.length; at += TYPES_PER_STATEMENT) {
    const slice = eventTypes.slice(at, at + TYPES_PER_STATEMENT)
    rows.push(
      ...(await db.all<Record<string, unknown>>(sql`
        WITH types (event_type) AS (VALUES ${join(
          slice.map((type) => sql`(${param(type)})`),
          ', ',
        )})
        SELECT t.event_type,
          (SELECT received_at FROM events WHERE seq =
            (SELECT max(seq) FROM events e WHERE e.event_type = t.event_type)) AS last_seen,
          (SELECT ${count} FROM (SELECT 1 AS one FROM events e WHERE e.event_type = t.event_type
            AND e.seq >= ${day} LIMIT ${cap}) x) AS day,
          (SELECT ${count} FROM (SELECT 1 AS one FROM events e WHERE e.event_type = t.event_type
            AND e.seq >= ${week} LIMIT ${cap}) x) AS week
        FROM types t`)),
    )
    // Let ingest's commits in between slices.
    await new Promise((resolve) => setImmediate(resolve))
  }
  const types: EventTypeStats[] = rows.map((row) => ({
    eventType: row.event_type as string,
    lastSeenAt: row.last_seen === null ? null : decode.time(row.last_seen),
    lastDay: Number(row.day),
    lastWeek: Number(row.week),
    driftLastWeek: drift.get(row.event_type as string) ?? 0,
  }))
  return {
    types,
    countLimit: VOLUME_COUNT_LIMIT,
    driftLimitReached: driftRead > DRIFT_READ_LIMIT,
  }
}
