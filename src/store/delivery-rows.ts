import { DELIVERY_STATES } from './delivery-states.js'
import { storedFromNew } from './event-columns.js'
import { stateList } from './sql/delivery-states-sql.js'
import type { Dialect } from './sql/dialect.js'
import { join, param, raw, type Sql, sql } from './sql/sql.js'
import type {
  Attempt,
  ClaimedDelivery,
  Delivery,
  DeliveryFilter,
  DeliverySummary,
  NewDelivery,
  NewEvent,
} from './types.js'

/** Delivery and attempt rows → objects, shared by both stores (`time` converts their time type). */
type Row = Record<string, unknown>

export const DELIVERY_COLUMNS = `d.seq, d.id, d.event_id, d.event_seq, d.subscriber_id, d.state, d.ordering_key,
  d.run_at, d.lease_owner, d.cycle, d.attempts, d.total_attempts, d.cycle_started_at, d.last_error,
  d.created_at, d.updated_at, d.completed_at`

export function rowToDelivery(row: Row, time: (value: unknown) => number): Delivery {
  return {
    seq: Number(row.seq),
    id: row.id as string,
    eventId: row.event_id as string,
    eventSeq: Number(row.event_seq),
    subscriberId: row.subscriber_id as string,
    state: row.state as Delivery['state'],
    orderingKey: row.ordering_key as string | null,
    runAt: time(row.run_at),
    leaseOwner: row.lease_owner as string | null,
    cycle: Number(row.cycle),
    attempts: row.attempts as number,
    totalAttempts: row.total_attempts as number,
    cycleStartedAt: time(row.cycle_started_at),
    lastError: row.last_error as string | null,
    createdAt: time(row.created_at),
    updatedAt: time(row.updated_at),
    completedAt: row.completed_at === null ? null : time(row.completed_at),
  }
}

/**
 * How a planned delivery is stored: pending and due at `runAt`, or leased at ingest — then like a
 * claimed one: due again when its lease ends (a crashed worker's), its first attempt counted.
 */
export function leaseFields(d: NewDelivery): {
  state: 'pending' | 'leased'
  runAt: number
  owner: string | null
  attempts: number
} {
  return d.lease
    ? { state: 'leased', runAt: d.lease.until, owner: d.lease.owner, attempts: 1 }
    : { state: 'pending', runAt: d.runAt, owner: null, attempts: 0 }
}

/** A delivery leased at ingest, as its worker holds it once the event is committed (no read back). */
export function leasedAtIngest(
  event: NewEvent,
  seq: number,
  d: NewDelivery & { lease: object },
): ClaimedDelivery {
  const lease = leaseFields(d)
  return {
    id: d.id,
    eventId: event.id,
    eventSeq: seq,
    subscriberId: d.subscriberId,
    state: 'leased',
    orderingKey: d.orderingKey,
    runAt: lease.runAt,
    leaseOwner: lease.owner,
    cycle: 0,
    attempts: lease.attempts,
    totalAttempts: lease.attempts,
    cycleStartedAt: event.receivedAt,
    lastError: null,
    createdAt: event.receivedAt,
    updatedAt: event.receivedAt,
    completedAt: null,
    event: storedFromNew(event, seq),
  }
}

export function rowToDeliverySummary(row: Row, time: (value: unknown) => number): DeliverySummary {
  return {
    ...rowToDelivery(row, time),
    source: row.source as string,
    eventType: row.event_type as string | null,
    eventName: row.event_name as string | null,
    locationId: row.location_id as string | null,
    companyId: row.company_id as string | null,
  }
}

export function rowToAttempt(
  row: Row,
  time: (value: unknown) => number,
  json: (value: unknown) => unknown,
): Attempt {
  return {
    id: row.id as string,
    deliveryId: row.delivery_id as string,
    number: row.number as number,
    cycle: Number(row.cycle),
    worker: row.worker as string,
    startedAt: time(row.started_at),
    durationMs: Number(row.duration_ms),
    outcome: row.outcome as Attempt['outcome'],
    errorClass: row.error_class as string | null,
    errorMessage: row.error_message as string | null,
    errorStack: row.error_stack as string | null,
    response:
      row.response === null || row.response === undefined
        ? null
        : (json(row.response) as Attempt['response']),
    traceId: (row.trace_id as string | null | undefined) ?? null,
  }
}

/** WHERE conditions over `deliveries d JOIN events e`, shared by both stores. */
export function deliveryConditions(filter: DeliveryFilter, dialect: Dialect): Sql[] {
  const conditions: Sql[] = []
  if (filter.states !== undefined) {
    // Literals, not parameters: SQLite uses a partial index (e.g. the dead-letter one) only when the
    // query text implies the index's WHERE. The states are a closed list, checked here.
    const states = filter.states.filter((state) => DELIVERY_STATES.includes(state))
    conditions.push(
      raw(
        states.length === 0
          ? 'FALSE'
          : states.length === 1
            ? `d.state = '${states[0]}'`
            : `d.state IN ${stateList(states)}`,
      ),
    )
  }
  if (filter.eventTypes !== undefined) {
    const types = filter.eventTypes
    conditions.push(types.length ? sql`e.event_type IN (${join(types.map(param), ', ')})` : raw('FALSE'))
  }
  if (filter.subscriberId !== undefined) conditions.push(sql`d.subscriber_id = ${param(filter.subscriberId)}`)
  if (filter.eventId !== undefined) conditions.push(sql`d.event_id = ${param(filter.eventId)}`)
  if (filter.tenantId !== undefined) {
    const tenant = filter.tenantId
    conditions.push(sql`(e.location_id = ${param(tenant)} OR e.company_id = ${param(tenant)})`)
  }
  if (filter.error !== undefined)
    conditions.push(sql`${dialect.position(raw('d.last_error'), param(filter.error))} > 0`)
  if (filter.since !== undefined) conditions.push(sql`d.updated_at >= ${param(dialect.time(filter.since))}`)
  if (filter.until !== undefined) conditions.push(sql`d.updated_at < ${param(dialect.time(filter.until))}`)
  if (filter.fingerprint !== undefined)
    conditions.push(sql`d.error_fingerprint = ${param(filter.fingerprint)}`)
  if (filter.seqAfter !== undefined) conditions.push(sql`d.seq > ${param(filter.seqAfter)}`)
  if (filter.seqThrough !== undefined) conditions.push(sql`d.seq <= ${param(filter.seqThrough)}`)
  return conditions
}
