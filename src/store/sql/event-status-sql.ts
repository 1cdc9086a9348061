import { DELIVERY_STATES, type DeliveryState } from '../delivery-states.js'
import {
  countGroupOf,
  type DeliveryCounts,
  type EventDeliveryStatus,
  STATUS_ORDER,
} from '../event-delivery-status.js'
import { stateCondition } from './delivery-states-sql.js'
import { raw, type Sql } from './sql.js'

/**
 * `status=` as SQL on `events e`: the event has a delivery in its status's group and none in the
 * groups before it (event-delivery-status.ts, STATUS_ORDER); `none` has no delivery at all. Each
 * EXISTS is a probe of the `UNIQUE (event_id, subscriber_id)` index per event, so the cost is per
 * event examined: the listing runs it inside its bounded scan (scan-events.ts), never over the
 * whole table. States as literals from the one list, like every state set in SQL.
 */
export function eventStatusCondition(status: EventDeliveryStatus): Sql {
  if (status === 'none') return raw(`NOT ${deliveriesIn(DELIVERY_STATES)}`)
  const earlier = noEarlierStatus(status)
  const own = deliveriesIn(statesOf([groupOf(status)]))
  return raw(earlier ? `${own} AND ${earlier}` : own)
}

/** The group of delivery states that gives a status (all but `none`). */
export function groupOf(status: Exclude<EventDeliveryStatus, 'none'>): keyof DeliveryCounts {
  return STATUS_ORDER.find(([s]) => s === status)![1]
}

/** "No delivery in the groups of the statuses before this one", or undefined for the first. */
export function noEarlierStatus(status: Exclude<EventDeliveryStatus, 'none'>): string | undefined {
  const at = STATUS_ORDER.findIndex(([s]) => s === status)
  const before = statesOf(STATUS_ORDER.slice(0, at).map(([, group]) => group))
  return before.length ? `NOT ${deliveriesIn(before)}` : undefined
}

export function statesOf(groups: readonly (keyof DeliveryCounts)[]): DeliveryState[] {
  return DELIVERY_STATES.filter((state) => groups.includes(countGroupOf(state)))
}

function deliveriesIn(states: readonly DeliveryState[]): string {
  return `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND ${stateCondition('d.state', states)})`
}
