import type { LocationQuery, TenantKind, TenantStats, TenantStatsLimits } from '../location-store.js'
import type { Page } from '../page.js'
import { decodeTenantCursor, encodeTenantCursor } from '../tenant-cursor.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'
import { TENANT_STATS_LIMITS, tenantStats } from './tenant-stats.js'

const COLUMN: Record<TenantKind, string> = { location: 'location_id', company: 'company_id' }
const KINDS: readonly TenantKind[] = ['location', 'company']

/**
 * Up to `limit` distinct tenant ids of one kind after `after` (or from `from`, inclusive), in the
 * database's text order: a loose index scan of `events_location` / `events_company` — each step
 * one seek to the next id (`min(tenant) WHERE tenant > previous`), so a page costs `limit` seeks
 * however many events each tenant has. SQLite and PostgreSQL both see that `tenant > ?` implies
 * the partial index's `tenant IS NOT NULL`.
 */
async function tenantIds(
  db: SqlRunner,
  kind: TenantKind,
  start: { after: string } | { from: string } | null,
  limit: number,
): Promise<string[]> {
  const column = raw(COLUMN[kind])
  const first =
    start === null
      ? sql`SELECT min(${column}) FROM events WHERE ${column} IS NOT NULL`
      : 'after' in start
        ? sql`SELECT min(${column}) FROM events WHERE ${column} > ${param(start.after)}`
        : sql`SELECT min(${column}) FROM events WHERE ${column} >= ${param(start.from)}`
  const rows = await db.all<{ id: string }>(
    sql`WITH RECURSIVE ids (id, n) AS (
        SELECT (${first}), 1
        UNION ALL
        SELECT (SELECT min(${column}) FROM events WHERE ${column} > ids.id), n + 1
        FROM ids WHERE ids.id IS NOT NULL AND n < ${param(limit)}
      )
      SELECT id FROM ids WHERE id IS NOT NULL`,
  )
  return rows.map((row) => row.id)
}

/**
 * Tenants in id order — locations, then companies — with their numbers over the window
 * (sql/tenant-stats.ts). Bounded: at most `limit + 1` seeks per kind and `limit` tenants' stats.
 */
export async function listLocations(
  db: SqlRunner,
  query: LocationQuery,
  limits: Partial<TenantStatsLimits> = {},
): Promise<Page<TenantStats>> {
  const after = query.cursor === undefined ? undefined : decodeTenantCursor(query.cursor)
  const found: { kind: TenantKind; id: string }[] = []
  for (const kind of KINDS) {
    if (after?.kind === 'company' && kind === 'location') continue
    const start =
      after?.kind === kind ? { after: after.id } : query.from !== undefined ? { from: query.from } : null
    const ids = await tenantIds(db, kind, start, query.limit + 1 - found.length)
    found.push(...ids.map((id) => ({ kind, id })))
    if (found.length > query.limit) break
  }
  const page = found.slice(0, query.limit)
  const items = await tenantStats(db, page, query.since, { ...TENANT_STATS_LIMITS, ...limits })
  const last = page.at(-1)
  return { items, nextCursor: found.length > query.limit && last ? encodeTenantCursor(last) : null }
}
