/**
 * The delivery state machine. A delivery is one (event, subscriber) pair; subscribers are
 * in-process handlers (library mode) and HTTP destinations. Every transition happens in one SQL
 * statement that also checks the state it leaves (and, for a leased delivery, the lease owner),
 * so two workers can never both move the same delivery.
 *
 *   ┌─────────┐ claim ┌────────┐ success ┌───────────┐
 *   │ pending │──────▶│ leased │────────▶│ succeeded │
 *   └─────────┘       └────────┘         └───────────┘
 *        ▲             │   │  ▲   failure, attempts and age left
 *        │             │   │  └──────────────────┐
 *        │             │   ▼                     │
 *        │             │ ┌─────────────────┐ due │
 *        │             │ │ retry_scheduled │─────┘ (claim)
 *        │             │ └─────────────────┘
 *        │             │  PermanentError, or attempts/age exhausted
 *        │             ▼
 *        │          ┌──────┐ purge ┌───────────┐
 *        └──────────│ dead │──────▶│ discarded │
 *         replay    └──────┘       └───────────┘
 *
 * Transitions:
 * - pending → leased: a worker claims it (due, and for ordered subscribers the oldest open
 *   delivery of its entity). `run_at` becomes the lease expiry.
 * - leased → leased: the lease expired (the worker crashed or stalled) and another claim takes it.
 * - leased → succeeded: the lease holder reports success.
 * - leased → retry_scheduled: the lease holder reports a failure with attempts and age left;
 *   `run_at` = now + backoff (or the delay a RetryableError asks for). A deferral (GHL's rate
 *   limit) also gives back the attempt its claim counted (`attempts` - 1).
 * - leased → dead: a PermanentError, or no attempts or age left. Dead deliveries are the
 *   dead-letter queue; they no longer hold back their entity's later deliveries.
 * - leased → pending: released unstarted on shutdown (not an attempt).
 * - retry_scheduled → leased: claimed when due.
 * - succeeded | dead | discarded → pending: replay (a new cycle: `cycle` + 1; attempts, numbered
 *   from 1 again, and max age start over; the attempt history is kept).
 * - dead → discarded: purged from the dead-letter queue by an operator.
 */
export const DELIVERY_STATES = [
  'pending',
  'leased',
  'retry_scheduled',
  'succeeded',
  'dead',
  'discarded',
] as const
export type DeliveryState = (typeof DELIVERY_STATES)[number]

/** States with work left to do: the backlog. */
export const OPEN_STATES = [
  'pending',
  'leased',
  'retry_scheduled',
] as const satisfies readonly DeliveryState[]

/** Open and not held by a worker: due now or at its retry time. */
export const WAITING_STATES = ['pending', 'retry_scheduled'] as const satisfies readonly DeliveryState[]

/** No work left (every state but the open ones): what a replay starts over. */
export const FINISHED_STATES = ['succeeded', 'dead', 'discarded'] as const satisfies readonly DeliveryState[]

/**
 * Finished with nothing worth keeping: an event whose deliveries are all in these states may be
 * pruned. A dead delivery is kept until it is replayed or discarded.
 */
export const SETTLED_STATES = ['succeeded', 'discarded'] as const satisfies readonly DeliveryState[]

export function isOpen(state: DeliveryState): boolean {
  switch (state) {
    case 'pending':
    case 'leased':
    case 'retry_scheduled':
      return true
    case 'succeeded':
    case 'dead':
    case 'discarded':
      return false
    default: {
      const unreachable: never = state
      throw new Error(`unknown delivery state ${unreachable}`)
    }
  }
}

/** What one attempt ended as. */
export const ATTEMPT_OUTCOMES = ['succeeded', 'retry', 'dead', 'lease_lost'] as const
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number]
