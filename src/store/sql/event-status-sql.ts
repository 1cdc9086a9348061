import { DELIVERY_STATES, type DeliveryState } from '../delivery-states.js'
import {
  countGroupOf,
  type DeliveryCounts,
  type EventDeliveryStatus,
  STATUS_ORDER,
} from '../event-delivery-status.js'
import { stateList } from './delivery-states-sql.js'
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
  const at = STATUS_ORDER.findIndex(([s]) => s === status)
  const own = statesOf([STATUS_ORDER[at]![1]])
  const before = statesOf(STATUS_ORDER.slice(0, at).map(([, group]) => group))
  return raw(before.length ? `${deliveriesIn(own)} AND NOT ${deliveriesIn(before)}` : deliveriesIn(own))
}

export function statesOf(groups: readonly (keyof DeliveryCounts)[]): DeliveryState[] {
  return DELIVERY_STATES.filter((state) => groups.includes(countGroupOf(state)))
}

function deliveriesIn(states: readonly DeliveryState[]): string {
  return `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state IN ${stateList(states)})`
}
