import type { BlockedLanes, BlockedLanesBudget } from '../location-store.js'
import { OPEN_STATES_SQL } from './delivery-states-sql.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * How many retrying ordered deliveries one request looks at (oldest first), and how far the
 * deliveries waiting behind a head are counted.
 */
export const BLOCKED_LANES_BUDGET: BlockedLanesBudget = { examine: 5_000, waitingCap: 1_000 }

/**
 * The blocked ordered lanes of one tenant's events: heads — no older open delivery with the same
 * ordering key — in state `retry_scheduled` (they failed and wait for their retry) with at least one
 * open delivery behind them. A dead delivery is not a head: dead deliveries leave their lane
 * (delivery-states.ts; the claim's "older open delivery" test skips them), so the next one runs.
 *
 * Strategy: the retrying ordered deliveries are read through the partial index
 * `deliveries_retrying_ordered` (migration 0007: `(event_seq) WHERE state = 'retry_scheduled' AND
 * ordering_key IS NOT NULL`), which holds only failing ordered deliveries — an empty index while
 * nothing fails, and untouched by a delivery that succeeds first time, so ingest and claims pay
 * nothing for it. At most `examine` of them, oldest first; each is joined to its event by seq (the
 * tenant test), checked to be a head and to have someone behind it through `deliveries_ordering`
 * (two seeks), its waiting ones counted up to `waitingCap` on the same index, and its first attempt
 * of the cycle read from `attempts_delivery`. Measured at 1M events (bench/locations.ts): 0.4 ms on
 * SQLite and 5 ms on PostgreSQL while nothing retries; 9 / 19 ms with 1,000 retrying ordered
 * deliveries; 25 / 175 ms (p95 41 / 291) with 10,000, of which 5,000 are examined.
 */
export async function blockedLanes(
  db: SqlRunner,
  tenantId: string,
  limit: number,
  given: Partial<BlockedLanesBudget> = {},
): Promise<BlockedLanes> {
  const budget = { ...BLOCKED_LANES_BUDGET, ...given }
  const { int, decode } = db.dialect
  const open = raw(OPEN_STATES_SQL)
  const tenant = param(tenantId)
  const retrying = sql`SELECT seq FROM deliveries WHERE state = 'retry_scheduled' AND ordering_key IS NOT NULL`
  const rows = await db.all<Record<string, unknown>>(
    sql`SELECT d.id, d.subscriber_id, d.ordering_key, d.attempts, d.last_error, d.run_at,
        e.id AS event_id, e.event_name, e.event_type, e.entity_kind, e.entity_id,
        (SELECT min(a.started_at) FROM attempts a WHERE a.delivery_id = d.id AND a.cycle = d.cycle) AS failing_since,
        (SELECT ${int(sql`count(*)`)} FROM (SELECT 1 AS one FROM deliveries w
          WHERE w.ordering_key = d.ordering_key AND w.event_seq > d.event_seq AND w.state IN ${open}
          LIMIT ${param(budget.waitingCap + 1)}) x) AS waiting
      FROM deliveries d JOIN events e ON e.seq = d.event_seq
      WHERE d.seq IN (${retrying} ORDER BY event_seq LIMIT ${param(budget.examine)})
        AND (e.location_id = ${tenant} OR e.company_id = ${tenant})
        AND NOT EXISTS (SELECT 1 FROM deliveries h
          WHERE h.ordering_key = d.ordering_key AND h.event_seq < d.event_seq AND h.state IN ${open})
        AND EXISTS (SELECT 1 FROM deliveries w
          WHERE w.ordering_key = d.ordering_key AND w.event_seq > d.event_seq AND w.state IN ${open})
      ORDER BY d.event_seq LIMIT ${param(limit)}`,
  )
  const [more] = await db.all<{ n: unknown }>(
    sql`SELECT ${int(sql`count(*)`)} AS n FROM (${retrying} LIMIT ${param(budget.examine + 1)}) r`,
  )
  return {
    truncated: Number(more!.n) > budget.examine,
    lanes: rows.map((row) => {
      const waiting = Number(row.waiting)
      return {
        subscriberId: row.subscriber_id as string,
        orderingKey: row.ordering_key as string,
        entityKind: row.entity_kind as string | null,
        entityId: row.entity_id as string | null,
        deliveryId: row.id as string,
        eventId: row.event_id as string,
        eventName: row.event_name as string | null,
        eventType: row.event_type as string | null,
        state: 'retry_scheduled' as const,
        attempts: Number(row.attempts),
        lastError: row.last_error as string | null,
        nextAttemptAt: decode.time(row.run_at),
        failingSince: row.failing_since === null ? null : decode.time(row.failing_since),
        waiting: Math.min(waiting, budget.waitingCap),
        waitingCapped: waiting > budget.waitingCap,
      }
    }),
  }
}
