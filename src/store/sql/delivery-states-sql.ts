import type { DeliveryState } from '../delivery-states.js'
import { OPEN_STATES } from '../delivery-states.js'

/**
 * A set of delivery states as an SQL list, `('pending', 'leased', 'retry_scheduled')`, rendered from
 * the constants in store/delivery-states.ts. Literals, not parameters: SQLite uses a partial index (the due
 * deliveries, the dead-letter queue) only when the query text implies the index's WHERE, and the
 * migrations write those lists in the same order as the constants.
 */
export function stateList(states: readonly DeliveryState[]): string {
  return `(${states.map((state) => `'${state}'`).join(', ')})`
}

/** `('pending', 'leased', 'retry_scheduled')`: the open states, the backlog. */
export const OPEN_STATES_SQL = stateList(OPEN_STATES)

/**
 * `column` is one of `states`, as SQL: `= 'dead'` for one state, `IN (…)` for several. SQLite does
 * not see that `state IN ('dead')` implies the partial index's `state = 'dead'`, and scans the
 * table instead (measured: 200 ms instead of 3 at 1M deliveries, bench/events-page.ts).
 */
export function stateCondition(column: string, states: readonly DeliveryState[]): string {
  return states.length === 1 ? `${column} = '${states[0]}'` : `${column} IN ${stateList(states)}`
}
