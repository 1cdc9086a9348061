import type pg from 'pg'
import { DELIVERY_COLUMNS, rowToDelivery } from '../delivery-rows.js'
import { lostLeaseAttempt } from '../sql/attempts.js'
import { OPEN_STATES_SQL } from '../sql/delivery-states-sql.js'
import type { Row } from '../sql/runner.js'
import type { ClaimedDelivery, ClaimRequest, StoredEvent } from '../types.js'

/**
 * Up to `slots` due deliveries per subscriber, oldest first; for ordered subscribers only the
 * oldest open delivery of each entity (an older open one — pending, leased or waiting for a retry —
 * holds the rest back). One statement: pick with SKIP LOCKED, lease, and return what the previous
 * holder left (to record a lost lease).
 *
 * `cap` (≥ the slots asked for, so it never cuts) is there for the planner: it cannot know how
 * many rows `LIMIT s.slots` yields and guesses 10 % of the open deliveries, and once ANALYZE has
 * seen a big backlog it joins the UPDATE to `picked` with a hash join over a sequential scan of
 * the whole table — 350 ms per claim at 1M deliveries; the 1M-event backlog benchmark fell from
 * ~5,000 to ~100 deliveries/s right after autoanalyze. With a constant LIMIT it updates by index.
 */
export const claimSql = (cap: number) => `WITH picked AS (
    SELECT x.id, x.state AS previous_state, x.lease_owner AS previous_owner, x.updated_at AS previous_updated
    FROM unnest($1::text[], $2::int[]) AS s(subscriber_id, slots)
    CROSS JOIN LATERAL (
      SELECT d.id, d.state, d.lease_owner, d.updated_at FROM deliveries d
      WHERE d.subscriber_id = s.subscriber_id AND d.state IN ${OPEN_STATES_SQL} AND d.run_at <= $3
        AND (d.ordering_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM deliveries h
          WHERE h.ordering_key = d.ordering_key AND h.event_seq < d.event_seq AND h.state IN ${OPEN_STATES_SQL}))
      ORDER BY d.run_at, d.seq LIMIT s.slots
      FOR UPDATE SKIP LOCKED
    ) x
    LIMIT ${cap}
  )
  UPDATE deliveries d SET state = 'leased', lease_owner = $4, run_at = $5, attempts = d.attempts + 1,
    total_attempts = d.total_attempts + 1, updated_at = $3
  FROM picked WHERE d.id = picked.id
  RETURNING ${DELIVERY_COLUMNS}, picked.previous_state, picked.previous_owner, picked.previous_updated`

/** History only: the attempts whose lease ran out without a report, in one statement. */
const RECORD_LOST = `INSERT INTO attempts (id, delivery_id, number, cycle, worker, started_at, duration_ms, outcome,
    error_class, error_message)
  SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $10::int[], $4::text[], $5::timestamptz[],
    $6::float8[], $7::text[], $8::text[], $9::text[])`

const time = (value: unknown) => (value as Date).getTime()

/** The PostgreSQL claim: several gateway processes claim from one table, each different rows. */
export async function claimDeliveries(
  pool: pg.Pool,
  eventsById: (ids: string[]) => Promise<Map<string, StoredEvent>>,
  request: ClaimRequest,
): Promise<ClaimedDelivery[]> {
  const slots = request.slots.filter((s) => s.limit > 0)
  if (slots.length === 0) return []
  // Powers of two, so a handful of prepared statements cover every slot count.
  const cap = Math.max(32, 2 ** Math.ceil(Math.log2(slots.reduce((n, s) => n + s.limit, 0))))
  const { rows } = await pool.query<Row>({
    name: `claim_deliveries_${cap}`,
    text: claimSql(cap),
    values: [
      slots.map((s) => s.subscriberId),
      slots.map((s) => s.limit),
      new Date(request.now),
      request.worker,
      new Date(request.now + request.leaseMs),
    ],
  })
  if (rows.length === 0) return []
  const lost = rows
    .filter((row) => row.previous_state === 'leased')
    .map((row) =>
      lostLeaseAttempt(
        {
          deliveryId: row.id as string,
          // The claim has counted the next attempt already; the lost one is the one before it.
          number: (row.attempts as number) - 1,
          cycle: row.cycle as number,
          owner: row.previous_owner as string | null,
          leasedAt: time(row.previous_updated),
        },
        request.now,
      ),
    )
  if (lost.length) {
    await pool.query(RECORD_LOST, [
      lost.map((a) => a.id),
      lost.map((a) => a.deliveryId),
      lost.map((a) => a.number),
      lost.map((a) => a.worker),
      lost.map((a) => new Date(a.startedAt)),
      lost.map((a) => a.durationMs),
      lost.map((a) => a.outcome),
      lost.map((a) => a.errorClass),
      lost.map((a) => a.errorMessage),
      lost.map((a) => a.cycle),
    ])
  }
  const byId = await eventsById([...new Set(rows.map((row) => row.event_id as string))])
  return rows.flatMap((row) => {
    const event = byId.get(row.event_id as string)
    return event ? [{ ...rowToDelivery(row, time), event }] : []
  })
}
