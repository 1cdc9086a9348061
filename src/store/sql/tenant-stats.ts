import type { TenantKind, TenantStats, TenantStatsLimits } from '../location-store.js'
import type { SqlRunner } from './runner.js'
import { join, param, raw, type Sql, sql } from './sql.js'

/**
 * The numbers of a few tenants over a window, in one statement (one UNION ALL arm per tenant).
 * Used by the tenant listing and the one-tenant read; not a store operation by itself.
 *
 * Strategy: everything walks `events_location` / `events_company` — (tenant, seq), partial on
 * the tenant column — from the tenant's end: the newest event (one seek), the window's events
 * counted up to `volumeCap` (an index range, stopped by the LIMIT), and the newest `errorSample`
 * of them joined to their deliveries through `UNIQUE (event_id, subscriber_id)`. The window is a
 * seq range: from the first event received at or after `since` (one seek on `events_received_at`),
 * so no per-row time check. The cost per tenant is bounded by the two limits, whatever the
 * tenant's volume. Measured at 1M events, 200 locations (bench/locations.ts, docs/benchmarks.md):
 * a page of 25 tenants in 28 ms on SQLite, 58 ms on PostgreSQL (medians, 24 h window); 70 / 131 ms
 * when the window holds all 5,000 events of each. The sample's row lookups (each event's id) are
 * most of it: 200 events × 50 tenants took 103–427 ms on SQLite, hence 50 × 25.
 */
export const TENANT_STATS_LIMITS: TenantStatsLimits = { volumeCap: 10_000, errorSample: 50 }

/** Delivery states that count as failed for the error rate (see the API schema's description). */
const FAILED = `('retry_scheduled', 'dead', 'discarded')`

const COLUMN: Record<TenantKind, string> = { location: 'location_id', company: 'company_id' }

/** The seq the window starts at: the first event received at or after `since`. */
export async function windowStartSeq(db: SqlRunner, since: number): Promise<number | null> {
  const [row] = await db.all<{ seq: unknown }>(
    sql`SELECT seq FROM events WHERE received_at >= ${param(db.dialect.time(since))} ORDER BY received_at LIMIT 1`,
  )
  return row ? Number(row.seq) : null
}

export async function tenantStats(
  db: SqlRunner,
  tenants: readonly { kind: TenantKind; id: string }[],
  since: number,
  limits: TenantStatsLimits,
): Promise<TenantStats[]> {
  if (!tenants.length) return []
  const { int, decode } = db.dialect
  // No event in the window: a start past every seq makes the window's ranges empty.
  const start = param((await windowStartSeq(db, since)) ?? Number.MAX_SAFE_INTEGER)
  const cap = param(limits.volumeCap + 1)
  const sample = param(limits.errorSample)
  const arms: Sql[] = tenants.map(({ kind, id }, i) => {
    const column = raw(COLUMN[kind])
    const tenant = param(id)
    return sql`SELECT ${raw(String(i))} AS i,
        (SELECT ${int(sql`count(*)`)} FROM (SELECT 1 AS one FROM events
          WHERE ${column} = ${tenant} AND seq >= ${start} LIMIT ${cap}) v) AS volume,
        s.n, s.failed, s.events, le.id AS last_id, le.received_at AS last_at
      FROM (SELECT ${int(sql`count(d.id)`)} AS n,
          ${int(sql`coalesce(sum(CASE WHEN d.state IN ${raw(FAILED)} THEN 1 ELSE 0 END), 0)`)} AS failed,
          ${int(sql`count(DISTINCT e.id)`)} AS events
        FROM (SELECT id FROM events WHERE ${column} = ${tenant} AND seq >= ${start}
          ORDER BY seq DESC LIMIT ${sample}) e
        LEFT JOIN deliveries d ON d.event_id = e.id) s
      LEFT JOIN events le ON le.seq = (SELECT seq FROM events WHERE ${column} = ${tenant}
        ORDER BY seq DESC LIMIT 1)`
  })
  const rows = await db.all<Record<string, unknown>>(join(arms, ' UNION ALL '))
  const byIndex = new Map(rows.map((row) => [Number(row.i), row]))
  return tenants.map(({ kind, id }, i) => {
    const row = byIndex.get(i)!
    const volume = Number(row.volume)
    return {
      kind,
      id,
      volume: Math.min(volume, limits.volumeCap),
      volumeCapped: volume > limits.volumeCap,
      lastSeenAt: row.last_at === null ? null : decode.time(row.last_at),
      lastEventId: (row.last_id as string | null) ?? null,
      sampledDeliveries: Number(row.n),
      failedDeliveries: Number(row.failed),
      sampledEvents: Number(row.events),
    }
  })
}
