import { DELIVERY_STATES, OPEN_STATES } from './delivery-states.js'
import type { Condition } from './event-filter.js'
import type { Attempt, Delivery, DeliveryFilter, DeliverySummary } from './types.js'

/** Delivery and attempt rows → objects, shared by both stores (`time` converts their time type). */
type Row = Record<string, unknown>

/**
 * `('pending', 'leased', 'retry_scheduled')`: the open states as SQL literals. Literal, not a
 * parameter, so that SQLite's planner can match the partial indexes written with the same list.
 */
export const OPEN_STATES_SQL = `(${OPEN_STATES.map((state) => `'${state}'`).join(', ')})`

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
  }
}

/** WHERE conditions over `deliveries d JOIN events e`, shared by both stores. */
export function deliveryConditions(
  filter: DeliveryFilter,
  time: (ms: number) => unknown,
  dialect: 'sqlite' | 'postgres',
): Condition[] {
  const conditions: Condition[] = []
  if (filter.states !== undefined) {
    // Literals, not parameters: SQLite uses a partial index (e.g. the dead-letter one) only when the
    // query text implies the index's WHERE. The states are a closed list, checked here.
    const states = filter.states.filter((state) => DELIVERY_STATES.includes(state))
    const sql =
      states.length === 0
        ? 'FALSE'
        : states.length === 1
          ? `d.state = '${states[0]}'`
          : `d.state IN (${states.map((st) => `'${st}'`).join(', ')})`
    conditions.push({ sql: () => sql })
  }
  if (filter.eventTypes !== undefined) {
    const types = filter.eventTypes
    conditions.push({ sql: (p) => (types.length ? `e.event_type IN (${types.map(p).join(', ')})` : 'FALSE') })
  }
  if (filter.subscriberId !== undefined) {
    const value = filter.subscriberId
    conditions.push({ sql: (p) => `d.subscriber_id = ${p(value)}` })
  }
  if (filter.eventId !== undefined) {
    const value = filter.eventId
    conditions.push({ sql: (p) => `d.event_id = ${p(value)}` })
  }
  if (filter.tenantId !== undefined) {
    const value = filter.tenantId
    conditions.push({ sql: (p) => `(e.location_id = ${p(value)} OR e.company_id = ${p(value)})` })
  }
  if (filter.error !== undefined) {
    // instr/strpos rather than LIKE: the text is matched literally, no wildcards to escape.
    const value = filter.error
    const position = dialect === 'sqlite' ? 'instr' : 'strpos'
    conditions.push({ sql: (p) => `${position}(d.last_error, ${p(value)}) > 0` })
  }
  if (filter.since !== undefined) {
    const value = time(filter.since)
    conditions.push({ sql: (p) => `d.updated_at >= ${p(value)}` })
  }
  if (filter.until !== undefined) {
    const value = time(filter.until)
    conditions.push({ sql: (p) => `d.updated_at < ${p(value)}` })
  }
  return conditions
}
