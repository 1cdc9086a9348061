import type Database from 'better-sqlite3'
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
import type { NewDelivery, Store, StoredEvent } from '../types.js'

/**
 * The delivery half of the SQLite store. SQLite has one writer at a time, so a claim is simply a
 * write transaction (BEGIN IMMEDIATE): select the due heads, lease them, commit. No other process
 * can interleave, which is what FOR UPDATE SKIP LOCKED buys on PostgreSQL.
 */

type Row = Record<string, unknown>
type DeliveryMethods = Pick<
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
>

const OPEN = OPEN_STATES_SQL
const ms = (value: unknown) => value as number
const json = (value: unknown) => JSON.parse(value as string)

export function sqliteDeliveries(db: Database.Database, getEvent: (id: string) => StoredEvent | undefined) {
  const statements = () => ({
    insert:
      db.prepare(`INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at,
        cycle_started_at, created_at, updated_at)
      VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)
      ON CONFLICT (event_id, subscriber_id) DO NOTHING`),
    // The oldest due deliveries of one subscriber; for ordered ones only the head of each entity.
    due: db.prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d
      WHERE d.subscriber_id = ? AND d.state IN ${OPEN} AND d.run_at <= ?
        AND (d.ordering_key IS NULL OR NOT EXISTS (
          SELECT 1 FROM deliveries h
          WHERE h.ordering_key = d.ordering_key AND h.event_seq < d.event_seq AND h.state IN ${OPEN}))
      ORDER BY d.run_at, d.seq LIMIT ?`),
    lease:
      db.prepare(`UPDATE deliveries SET state = 'leased', lease_owner = ?, run_at = ?, attempts = attempts + 1,
        total_attempts = total_attempts + 1, updated_at = ? WHERE id = ?`),
    finish:
      db.prepare(`UPDATE deliveries SET state = ?, run_at = ?, lease_owner = NULL, last_error = ?, updated_at = ?,
        completed_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?`),
    attempt:
      db.prepare(`INSERT INTO attempts (id, delivery_id, number, cycle, worker, started_at, duration_ms, outcome,
        error_class, error_message, error_stack, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    release:
      db.prepare(`UPDATE deliveries SET state = 'pending', lease_owner = NULL, run_at = ?, attempts = attempts - 1,
        total_attempts = total_attempts - 1, updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?`),
    get: db.prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = ?`),
    ofEvent: db.prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.event_id = ? ORDER BY d.seq`),
    attemptsOf: db.prepare('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY cycle, number, seq'),
    onceGet: db.prepare('SELECT result FROM once_results WHERE delivery_id = ? AND key = ?'),
    onceSet: db.prepare(`INSERT INTO once_results (delivery_id, key, result, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (delivery_id, key) DO NOTHING`),
    backlog: db.prepare(`SELECT count(*) FROM deliveries WHERE state IN ${OPEN}`).pluck(),
    eventSeq: db.prepare('SELECT seq FROM events WHERE id = ?').pluck(),
  })
  let prepared: ReturnType<typeof statements> | undefined
  const s = () => {
    prepared ??= statements()
    return prepared
  }

  const recordAttempt = (deliveryId: string, worker: string, outcome: string, a: Record<string, unknown>) =>
    s().attempt.run(
      a.id,
      deliveryId,
      a.number,
      a.cycle,
      worker,
      a.startedAt,
      a.durationMs,
      outcome,
      a.errorClass ?? null,
      a.errorMessage ?? null,
      a.errorStack ?? null,
      a.response ? JSON.stringify(a.response) : null,
    )

  const insertFor = (
    eventId: string,
    eventSeq: number,
    cycleStartedAt: number,
    deliveries: readonly NewDelivery[],
    now: number,
  ) => {
    let created = 0
    for (const d of deliveries) {
      created += s().insert.run(
        d.id,
        eventId,
        eventSeq,
        d.subscriberId,
        d.orderingKey,
        d.runAt,
        cycleStartedAt,
        now,
        now,
      ).changes
    }
    return created
  }

  const claim = db.transaction((request: Parameters<Store['claimDeliveries']>[0]) => {
    const claimed = []
    const leaseUntil = request.now + request.leaseMs
    for (const { subscriberId, limit } of request.slots) {
      if (limit <= 0) continue
      for (const row of s().due.all(subscriberId, request.now, limit) as Row[]) {
        const delivery = rowToDelivery(row, ms)
        if (delivery.state === 'leased') {
          // The previous holder's lease ran out without a report: it crashed or stalled.
          recordAttempt(delivery.id, delivery.leaseOwner ?? 'unknown', 'lease_lost', {
            id: newId('att', request.now),
            number: delivery.attempts,
            cycle: delivery.cycle,
            startedAt: delivery.updatedAt,
            durationMs: request.now - delivery.updatedAt,
            errorClass: 'LeaseExpired',
            errorMessage:
              'the worker holding this delivery stopped without reporting (crash or stall); retrying',
          })
        }
        s().lease.run(request.worker, leaseUntil, request.now, delivery.id)
        const event = getEvent(delivery.eventId)
        if (!event) continue
        claimed.push({
          ...delivery,
          state: 'leased' as const,
          leaseOwner: request.worker,
          runAt: leaseUntil,
          attempts: delivery.attempts + 1,
          totalAttempts: delivery.totalAttempts + 1,
          updatedAt: request.now,
          event,
        })
      }
    }
    return claimed
  })

  const finish = db.transaction((results: Parameters<Store['finishAttempts']>[0], now: number) =>
    results.map((r) => {
      const error = r.next.state === 'succeeded' ? null : r.next.error
      const runAt = r.next.state === 'retry_scheduled' ? r.next.runAt : now
      const completedAt = r.next.state === 'retry_scheduled' ? null : now
      const applied =
        s().finish.run(r.next.state, runAt, error, now, completedAt, r.deliveryId, r.worker).changes === 1
      const outcome = !applied
        ? 'lease_lost'
        : r.next.state === 'succeeded'
          ? 'succeeded'
          : r.next.state === 'dead'
            ? 'dead'
            : 'retry'
      recordAttempt(r.deliveryId, r.worker, outcome, r.attempt as unknown as Record<string, unknown>)
      return applied
    }),
  )

  const select = (filter: Parameters<Store['listDeliveries']>[0]) =>
    renderWhere(
      deliveryConditions(filter, (t) => t, 'sqlite'),
      'question',
    )

  const methods: DeliveryMethods = {
    async countBacklog() {
      return s().backlog.get() as number
    },
    async claimDeliveries(request) {
      return claim.immediate(request)
    },
    async finishAttempts(results, now) {
      return results.length ? finish.immediate(results, now) : []
    },
    async releaseDeliveries(ids, worker, now) {
      return db
        .transaction(() => ids.reduce((n, id) => n + s().release.run(now, now, id, worker).changes, 0))
        .immediate()
    },
    async getDelivery(id) {
      const row = s().get.get(id) as Row | undefined
      return row ? rowToDelivery(row, ms) : undefined
    },
    async eventDeliveries(eventId) {
      return (s().ofEvent.all(eventId) as Row[]).map((row) => {
        const delivery = rowToDelivery(row, ms)
        const attemptHistory = (s().attemptsOf.all(delivery.id) as Row[]).map((a) =>
          rowToAttempt(a, ms, json),
        )
        return { ...delivery, attemptHistory }
      })
    },
    async listDeliveries(filter, page) {
      const { where, values } = select(filter)
      const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
      const cursor = before === undefined ? '' : `${where ? ' AND' : 'WHERE'} d.seq < ${Number(before)}`
      const rows = db
        .prepare(`SELECT ${DELIVERY_COLUMNS}, e.source, e.event_type, e.event_name, e.location_id, e.company_id
          FROM deliveries d JOIN events e ON e.id = d.event_id ${where}${cursor} ORDER BY d.seq DESC LIMIT ?`)
        .all(...values, page.limit + 1) as Row[]
      const items = rows.slice(0, page.limit).map((row) => rowToDeliverySummary(row, ms))
      const last = items.at(-1)
      return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last.seq) : null }
    },
    async replayDeliveries(filter, now, limit) {
      const { where, values } = select({
        ...filter,
        states: filter.states ?? ['succeeded', 'dead', 'discarded'],
      })
      return db
        .prepare(`UPDATE deliveries SET state = 'pending', run_at = ?, cycle = cycle + 1, attempts = 0,
            cycle_started_at = ?, lease_owner = NULL, completed_at = NULL, updated_at = ?
          WHERE state NOT IN ${OPEN} AND id IN (
            SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id ${where} ORDER BY d.seq LIMIT ?)`)
        .run(now, now, now, ...values, limit).changes
    },
    async addDeliveries(eventId, deliveries, now) {
      return db
        .transaction(() => {
          const seq = s().eventSeq.get(eventId) as number | undefined
          return seq === undefined ? 0 : insertFor(eventId, seq, now, deliveries, now)
        })
        .immediate()
    },
    async discardDeliveries(filter, now) {
      const { where, values } = select({ ...filter, states: ['dead'] })
      return db
        .prepare(`UPDATE deliveries SET state = 'discarded', updated_at = ?, completed_at = ?
          WHERE state = 'dead' AND id IN (SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id ${where})`)
        .run(now, now, ...values).changes
    },
    async onceResult(deliveryId, key) {
      const row = s().onceGet.get(deliveryId, key) as { result: string | null } | undefined
      return row
        ? { found: true, result: row.result === null ? undefined : JSON.parse(row.result) }
        : { found: false, result: undefined }
    },
    async recordOnce(deliveryId, key, result, now) {
      s().onceSet.run(deliveryId, key, result === undefined ? null : JSON.stringify(result), now)
      return (await methods.onceResult(deliveryId, key)).result
    },
    async processingStats(now) {
      const hourAgo = now - 3_600_000
      const attempts = db
        .prepare(`SELECT count(*) AS total, coalesce(sum(outcome = 'succeeded'), 0) AS ok,
            coalesce(sum(outcome = 'dead'), 0) AS dead FROM attempts WHERE started_at >= ?`)
        .get(hourAgo) as { total: number; ok: number; dead: number }
      return {
        eventsLastHour: db
          .prepare('SELECT count(*) FROM events WHERE received_at >= ?')
          .pluck()
          .get(hourAgo) as number,
        attemptsLastHour: attempts.total,
        succeededLastHour: attempts.ok,
        deadLastHour: attempts.dead,
        recentDurationsMs: db
          .prepare(
            'SELECT duration_ms FROM attempts WHERE started_at >= ? ORDER BY started_at DESC LIMIT 10000',
          )
          .pluck()
          .all(hourAgo) as number[],
        openDeliveries: s().backlog.get() as number,
        deadDeliveries: db
          .prepare(`SELECT count(*) FROM deliveries WHERE state = 'dead'`)
          .pluck()
          .get() as number,
        oldestDueAt: db
          .prepare(
            `SELECT min(run_at) FROM deliveries WHERE state IN ('pending', 'retry_scheduled') AND run_at <= ?`,
          )
          .pluck()
          .get(now) as number | null,
      }
    },
    async pruneEvents(before, limit) {
      // Deliveries, attempts and once-results go with their event (ON DELETE CASCADE).
      return db
        .prepare(`DELETE FROM events WHERE seq IN (
          SELECT e.seq FROM events e WHERE e.received_at < ? AND NOT EXISTS (
            SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state NOT IN ('succeeded', 'discarded'))
          ORDER BY e.received_at LIMIT ?)`)
        .run(before, limit).changes
    },
  }
  return { methods, insertFor, reset: () => (prepared = undefined) }
}
