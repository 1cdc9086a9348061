import type { DeliveryState } from './delivery-states.js'

/**
 * An event's delivery status: one word for what became of all its deliveries, shown in the event
 * list and filtered on (`GET /api/events?status=`). The filter and the word are one rule: an event
 * is listed under `status=X` exactly when its status is X.
 *
 * The first rule that holds decides, in this order (what needs a human comes first):
 * - `failed`: a delivery is dead (in the dead-letter queue);
 * - `pending`: a delivery still has work to do (pending, leased, retry scheduled);
 * - `discarded`: a dead delivery was purged, and nothing else is open or dead;
 * - `delivered`: every delivery succeeded;
 * - `none`: the event has no delivery (no subscriber wanted it).
 * So an event with one dead and one open delivery is `failed`, not `pending`.
 */
export const EVENT_DELIVERY_STATUSES = ['failed', 'pending', 'discarded', 'delivered', 'none'] as const
export type EventDeliveryStatus = (typeof EVENT_DELIVERY_STATUSES)[number]

/** How many of an event's deliveries are in each group of states. */
export interface DeliveryCounts {
  /** pending, leased or retry_scheduled. */
  open: number
  succeeded: number
  dead: number
  discarded: number
}

export const NO_DELIVERIES: DeliveryCounts = { open: 0, succeeded: 0, dead: 0, discarded: 0 }

/** The counts group a state belongs to. */
export function countGroupOf(state: DeliveryState): keyof DeliveryCounts {
  switch (state) {
    case 'pending':
    case 'leased':
    case 'retry_scheduled':
      return 'open'
    case 'succeeded':
      return 'succeeded'
    case 'dead':
      return 'dead'
    case 'discarded':
      return 'discarded'
    default: {
      const unreachable: never = state
      throw new Error(`unknown delivery state ${unreachable}`)
    }
  }
}

/** Counts of a list of delivery states (an event's deliveries). */
export function countDeliveries(states: Iterable<DeliveryState>): DeliveryCounts {
  const counts = { ...NO_DELIVERIES }
  for (const state of states) counts[countGroupOf(state)]++
  return counts
}

/**
 * The statuses but `none`, in the order above, each with the group of states that gives it: an
 * event has the first status whose group holds one of its deliveries. `deliveryStatusOf` and the
 * SQL filter (sql/event-status-sql.ts) are both read from this list.
 */
export const STATUS_ORDER = [
  ['failed', 'dead'],
  ['pending', 'open'],
  ['discarded', 'discarded'],
  ['delivered', 'succeeded'],
] as const satisfies readonly (readonly [Exclude<EventDeliveryStatus, 'none'>, keyof DeliveryCounts])[]

/** The status the counts give, by the order above. */
export function deliveryStatusOf(counts: DeliveryCounts): EventDeliveryStatus {
  for (const [status, group] of STATUS_ORDER) if (counts[group] > 0) return status
  return 'none'
}
