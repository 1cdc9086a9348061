import type pg from 'pg'
import { newId } from '../../ids.js'
import { decodeCursor, encodeCursor } from '../cursor.js'
import {
  DELIVERY_COLUMNS,
  deliveryConditions,
  OPEN_STATES_SQL,
  rowToAttempt,
  rowToDelivery,
  rowToDeliverySummary,
} from '../delivery-rows.js'
import { renderWhere } from '../event-filter.js'
import type { Store, StoredEvent } from '../types.js'

/**
 * The delivery half of the PostgreSQL store. Several gateway processes claim from the same table:
 * `FOR UPDATE SKIP LOCKED` lets each take different rows without waiting on the others, and every
 * statement that ends a lease checks the lease owner, so a worker whose lease expired cannot
 * overwrite the outcome of the worker that took over.
 */

type Row = Record<string, unknown>
const OPEN = OPEN_STATES_SQL
const time = (value: unknown) => (value as Date).getTime()
const json = (value: unknown) => value
const at = (ms: number) => new Date(ms)

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
      WHERE d.subscriber_id = s.subscriber_id AND d.state IN ${OPEN} AND d.run_at <= $3
        AND (d.ordering_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM deliveries h
          WHERE h.ordering_key = d.ordering_key AND h.event_seq < d.event_seq AND h.state IN ${OPEN}))
      ORDER BY d.run_at, d.seq LIMIT s.slots
      FOR UPDATE SKIP LOCKED
    ) x
    LIMIT ${cap}
  )
  UPDATE deliveries d SET state = 'leased', lease_owner = $4, run_at = $5, attempts = d.attempts + 1,
    total_attempts = d.total_attempts + 1, updated_at = $3
  FROM picked WHERE d.id = picked.id
  RETURNING ${DELIVERY_COLUMNS}, picked.previous_state, picked.previous_owner, picked.previous_updated`

/** Moves each leased delivery on (only if the lease is still ours) and records every attempt. */
const FINISH = `WITH r AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::timestamptz[])
      AS r(id, worker, state, run_at, error, completed_at)
  ), moved AS (
    UPDATE deliveries d SET state = r.state, run_at = r.run_at, lease_owner = NULL, last_error = r.error,
      updated_at = $7, completed_at = r.completed_at
    FROM r WHERE d.id = r.id AND d.state = 'leased' AND d.lease_owner = r.worker
    RETURNING d.id
  )
  INSERT INTO attempts (id, delivery_id, number, cycle, worker, started_at, duration_ms, outcome, error_class,
    error_message, error_stack, response)
  SELECT a.id, a.delivery_id, a.number, a.cycle, a.worker, a.started_at, a.duration_ms,
    CASE WHEN moved.id IS NULL THEN 'lease_lost' ELSE a.outcome END,
    a.error_class, a.error_message, a.error_stack, a.response
  FROM unnest($8::text[], $9::text[], $10::int[], $11::text[], $12::timestamptz[], $13::float8[], $14::text[],
    $15::text[], $16::text[], $17::text[], $18::jsonb[], $19::int[])
    AS a(id, delivery_id, number, worker, started_at, duration_ms, outcome, error_class, error_message,
      error_stack, response, cycle)
  LEFT JOIN moved ON moved.id = a.delivery_id
  RETURNING delivery_id, outcome`

export function postgresDeliveries(
  pool: pg.Pool,
  events: (ids: string[]) => Promise<Map<string, StoredEvent>>,
) {
  const select = (filter: Parameters<Store['listDeliveries']>[0], offset = 0) => {
    const rendered = renderWhere(deliveryConditions(filter, at, 'postgres'), 'dollar')
    // renderWhere numbers from $1; shift when other parameters come first.
    if (offset === 0) return rendered
    return {
      where: rendered.where.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + offset}`),
      values: rendered.values,
    }
  }

  const methods: Pick<
    Store,
    | 'countBacklog'
    | 'claimDeliveries'
    | 'finishAttempts'
    | 'releaseDeliveries'
    | 'getDelivery'
    | 'eventDeliveries'
    | 'listDeliveries'
    | 'replayDeliveries'
    | 'addDeliveries'
    | 'discardDeliveries'
    | 'onceResult'
    | 'recordOnce'
    | 'processingStats'
    | 'pruneEvents'
  > = {
    async countBacklog() {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM deliveries WHERE state IN ${OPEN}`,
      )
      return rows[0]!.n
    },

    async claimDeliveries(request) {
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
          at(request.now),
          request.worker,
          at(request.now + request.leaseMs),
        ],
      })
      if (rows.length === 0) return []
      const lost = rows.filter((row) => row.previous_state === 'leased')
      if (lost.length) {
        // History only: the previous holder's lease ran out without a report (crash or stall).
        await pool.query(
          `INSERT INTO attempts (id, delivery_id, number, cycle, worker, started_at, duration_ms, outcome, error_class,
             error_message)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $10::int[], $4::text[], $5::timestamptz[],
             $6::float8[], $7::text[], $8::text[], $9::text[])`,
          [
            lost.map(() => newId('att', request.now)),
            lost.map((row) => row.id),
            // The claim has counted the next attempt already; the lost one is the one before it.
            lost.map((row) => (row.attempts as number) - 1),
            lost.map((row) => (row.previous_owner as string | null) ?? 'unknown'),
            lost.map((row) => row.previous_updated),
            lost.map((row) => request.now - time(row.previous_updated)),
            lost.map(() => 'lease_lost'),
            lost.map(() => 'LeaseExpired'),
            lost.map(
              () => 'the worker holding this delivery stopped without reporting (crash or stall); retrying',
            ),
            lost.map((row) => row.cycle as number),
          ],
        )
      }
      const byId = await events([...new Set(rows.map((row) => row.event_id as string))])
      return rows.flatMap((row) => {
        const event = byId.get(row.event_id as string)
        return event ? [{ ...rowToDelivery(row, time), event }] : []
      })
    },

    async finishAttempts(results, now) {
      if (results.length === 0) return []
      const next = results.map((r) => r.next)
      const { rows } = await pool.query<{ delivery_id: string; outcome: string }>({
        name: 'finish_attempts',
        text: FINISH,
        values: [
          results.map((r) => r.deliveryId),
          results.map((r) => r.worker),
          next.map((n) => n.state),
          next.map((n) => at(n.state === 'retry_scheduled' ? n.runAt : now)),
          next.map((n) => (n.state === 'succeeded' ? null : n.error)),
          next.map((n) => (n.state === 'retry_scheduled' ? null : at(now))),
          at(now),
          results.map((r) => r.attempt.id),
          results.map((r) => r.deliveryId),
          results.map((r) => r.attempt.number),
          results.map((r) => r.worker),
          results.map((r) => at(r.attempt.startedAt)),
          results.map((r) => r.attempt.durationMs),
          next.map((n) => (n.state === 'succeeded' ? 'succeeded' : n.state === 'dead' ? 'dead' : 'retry')),
          results.map((r) => r.attempt.errorClass),
          results.map((r) => r.attempt.errorMessage),
          results.map((r) => r.attempt.errorStack),
          results.map((r) => (r.attempt.response ? JSON.stringify(r.attempt.response) : null)),
          results.map((r) => r.attempt.cycle),
        ],
      })
      const lost = new Set(rows.filter((row) => row.outcome === 'lease_lost').map((row) => row.delivery_id))
      return results.map((r) => !lost.has(r.deliveryId))
    },

    async releaseDeliveries(ids, worker, now) {
      const { rowCount } = await pool.query(
        `UPDATE deliveries SET state = 'pending', lease_owner = NULL, run_at = $1, attempts = attempts - 1,
           total_attempts = total_attempts - 1, updated_at = $1
         WHERE id = ANY($2) AND state = 'leased' AND lease_owner = $3`,
        [at(now), ids, worker],
      )
      return rowCount ?? 0
    },

    async getDelivery(id) {
      const { rows } = await pool.query<Row>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = $1`, [
        id,
      ])
      return rows[0] ? rowToDelivery(rows[0], time) : undefined
    },

    async eventDeliveries(eventId) {
      const { rows } = await pool.query<Row>(
        `SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.event_id = $1 ORDER BY d.seq`,
        [eventId],
      )
      const attempts = await pool.query<Row>(
        `SELECT a.* FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = $1
         ORDER BY a.cycle, a.number, a.seq`,
        [eventId],
      )
      return rows.map((row) => {
        const delivery = rowToDelivery(row, time)
        const attemptHistory = attempts.rows
          .filter((a) => a.delivery_id === delivery.id)
          .map((a) => rowToAttempt(a, time, json))
        return { ...delivery, attemptHistory }
      })
    },

    async listDeliveries(filter, page) {
      const { where, values } = select(filter)
      const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
      const cursor = before === undefined ? '' : `${where ? ' AND' : 'WHERE'} d.seq < ${Number(before)}`
      const { rows } = await pool.query<Row>(
        `SELECT ${DELIVERY_COLUMNS}, e.source, e.event_type, e.event_name, e.location_id, e.company_id
         FROM deliveries d JOIN events e ON e.id = d.event_id ${where}${cursor}
         ORDER BY d.seq DESC LIMIT $${values.length + 1}`,
        [...values, page.limit + 1],
      )
      const items = rows.slice(0, page.limit).map((row) => rowToDeliverySummary(row, time))
      const last = items.at(-1)
      return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last.seq) : null }
    },

    async replayDeliveries(filter, now, limit) {
      const { where, values } = select(
        { ...filter, states: filter.states ?? ['succeeded', 'dead', 'discarded'] },
        2,
      )
      const { rowCount } = await pool.query(
        `UPDATE deliveries SET state = 'pending', run_at = $1, cycle = cycle + 1, attempts = 0,
           cycle_started_at = $1, lease_owner = NULL, completed_at = NULL, updated_at = $1
         WHERE state NOT IN ${OPEN} AND id IN (
           SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id ${where} ORDER BY d.seq LIMIT $2)`,
        [at(now), limit, ...values],
      )
      return rowCount ?? 0
    },

    async addDeliveries(eventId, deliveries, now) {
      if (deliveries.length === 0) return 0
      const { rowCount } = await pool.query(
        `INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at, cycle_started_at,
           created_at, updated_at)
         SELECT d.id, e.id, e.seq, d.subscriber_id, 'pending', d.ordering_key, d.run_at, $3, $3, $3
         FROM unnest($2::text[], $4::text[], $5::text[], $6::timestamptz[]) AS d(id, subscriber_id, ordering_key, run_at)
         JOIN events e ON e.id = $1
         ON CONFLICT (event_id, subscriber_id) DO NOTHING`,
        [
          eventId,
          deliveries.map((d) => d.id),
          at(now),
          deliveries.map((d) => d.subscriberId),
          deliveries.map((d) => d.orderingKey),
          deliveries.map((d) => at(d.runAt)),
        ],
      )
      return rowCount ?? 0
    },

    async discardDeliveries(filter, now) {
      const { where, values } = select({ ...filter, states: ['dead'] }, 1)
      const { rowCount } = await pool.query(
        `UPDATE deliveries SET state = 'discarded', updated_at = $1, completed_at = $1
         WHERE state = 'dead' AND id IN (SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id ${where})`,
        [at(now), ...values],
      )
      return rowCount ?? 0
    },

    async onceResult(deliveryId, key) {
      const { rows } = await pool.query<{ result: unknown }>(
        'SELECT result FROM once_results WHERE delivery_id = $1 AND key = $2',
        [deliveryId, key],
      )
      return rows[0]
        ? { found: true, result: rows[0].result ?? undefined }
        : { found: false, result: undefined }
    },

    async recordOnce(deliveryId, key, result, now) {
      await pool.query(
        `INSERT INTO once_results (delivery_id, key, result, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (delivery_id, key) DO NOTHING`,
        [deliveryId, key, result === undefined ? null : JSON.stringify(result), at(now)],
      )
      return (await methods.onceResult(deliveryId, key)).result
    },

    async processingStats(now) {
      const hourAgo = at(now - 3_600_000)
      const { rows } = await pool.query<Row>(
        `SELECT
           (SELECT count(*)::int FROM events WHERE received_at >= $1) AS events,
           (SELECT count(*)::int FROM attempts WHERE started_at >= $1) AS attempts,
           (SELECT count(*)::int FROM attempts WHERE started_at >= $1 AND outcome = 'succeeded') AS ok,
           (SELECT count(*)::int FROM attempts WHERE started_at >= $1 AND outcome = 'dead') AS dead_recent,
           (SELECT count(*)::int FROM deliveries WHERE state IN ${OPEN}) AS open,
           (SELECT count(*)::int FROM deliveries WHERE state = 'dead') AS dead,
           (SELECT min(run_at) FROM deliveries WHERE state IN ('pending', 'retry_scheduled') AND run_at <= $2) AS oldest`,
        [hourAgo, at(now)],
      )
      const durations = await pool.query<{ duration_ms: number }>(
        'SELECT duration_ms FROM attempts WHERE started_at >= $1 ORDER BY started_at DESC LIMIT 10000',
        [hourAgo],
      )
      const row = rows[0]!
      return {
        eventsLastHour: row.events as number,
        attemptsLastHour: row.attempts as number,
        succeededLastHour: row.ok as number,
        deadLastHour: row.dead_recent as number,
        recentDurationsMs: durations.rows.map((r) => r.duration_ms),
        openDeliveries: row.open as number,
        deadDeliveries: row.dead as number,
        oldestDueAt: row.oldest === null ? null : time(row.oldest),
      }
    },

    async pruneEvents(before, limit) {
      // Deliveries, attempts and once-results go with their event (ON DELETE CASCADE).
      const { rowCount } = await pool.query(
        `DELETE FROM events WHERE seq IN (
           SELECT e.seq FROM events e WHERE e.received_at < $1 AND NOT EXISTS (
             SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state NOT IN ('succeeded', 'discarded'))
           ORDER BY e.received_at LIMIT $2)`,
        [at(before), limit],
      )
      return rowCount ?? 0
    },
  }
  return methods
}
