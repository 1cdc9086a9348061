import { GATEWAY_SOURCE, isGhlEventName, namesGatewayEvents } from '../catalog/index.js'
import { newId } from '../ids.js'
import type { NewDelivery, NewEvent } from '../store/types.js'
import type { RunAttempt } from './attempt.js'
import type { RetryPolicy } from './retry-policy.js'

/**
 * A subscriber receives events: an in-process handler (library mode) or an HTTP destination.
 * Deliveries for every matching subscriber are planned on the request path and written in the
 * event's own transaction, so an acked event always has its deliveries.
 */
export interface Subscriber {
  /** Stable id: deliveries in the database refer to it across restarts. */
  id: string
  kind: 'handler' | 'destination'
  /** Patterns: a GHL doc name (`ContactCreate`), a type (`contact.created` or a renamed one), a
   * prefix wildcard (`contact.*`), `unknown`, or `*` (every webhook, from every source); operational
   * events only by `gateway.…` patterns (catalog/gateway-events.ts). */
  events: readonly string[]
  /** Only events from these sources. @default every source */
  sources?: readonly string[]
  /** Extra predicate over the stored event (destinations' filters). */
  filter?: (event: MatchableEvent) => boolean
  /** `entity`: deliveries of one entity run one at a time, in receive order. */
  ordered?: 'entity'
  retry: RetryPolicy
  /** Deliveries of this subscriber running at once, per process. */
  concurrency: number
  /** Per attempt. */
  timeoutMs: number
  /**
   * How many of its deliveries may start now, on top of `concurrency` (a destination's rate limit,
   * circuit breaker, pause). Asked each time the worker computes its claim slots; a subscriber that
   * answers 0 wakes the worker itself when it can start again (else the worker's poll finds out).
   * @default unlimited
   */
  available?: (now: number) => number
  /** Runs one attempt (calls the handler, or sends the HTTP request). */
  run: RunAttempt
  /** Attributes of its attempt spans beyond the delivery's (a destination: method and origin). */
  traceAttributes?: Record<string, string | number>
}

/** What matching sees of an event: its classification and its parsed body. */
export interface MatchableEvent {
  source: string
  /** The published type (`publishedType`). */
  type: string
  event: NewEvent
  body: unknown
}

/**
 * Compiles event patterns into one test, once per subscriber. Operational events (source `gateway`)
 * are matched only by the patterns that name them (`gateway.*`, `gateway.delivery.dead_lettered`):
 * `*` and every other pattern mean webhooks, so alerts reach only subscribers that asked for them.
 */
export function eventMatcher(patterns: readonly string[]): (event: MatchableEvent) => boolean {
  const webhooks = typeMatcher(patterns.filter((p) => !namesGatewayEvents(p)))
  const operational = typeMatcher(patterns.filter(namesGatewayEvents))
  return (event) => (event.source === GATEWAY_SOURCE ? operational(event) : webhooks(event))
}

function typeMatcher(patterns: readonly string[]): (event: MatchableEvent) => boolean {
  if (patterns.length === 0) return () => false
  if (patterns.includes('*')) return () => true
  const names = new Set<string>(patterns.filter((p) => isGhlEventName(p)))
  const exact = new Set(patterns.filter((p) => !p.endsWith('.*')))
  const prefixes = patterns.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1))
  return ({ type, event }) => {
    if (event.eventName !== null && names.has(event.eventName)) return true
    for (const candidate of [type, event.eventType]) {
      if (candidate === null) continue
      if (exact.has(candidate)) return true
      if (prefixes.some((prefix) => candidate.startsWith(prefix))) return true
    }
    return false
  }
}

export interface CompiledSubscriber extends Subscriber {
  matches: (event: MatchableEvent) => boolean
}

export function compileSubscriber(subscriber: Subscriber): CompiledSubscriber {
  const matchesType = eventMatcher(subscriber.events)
  const sources = subscriber.sources ? new Set(subscriber.sources) : undefined
  return {
    ...subscriber,
    matches: (event) =>
      (sources === undefined || sources.has(event.source)) &&
      matchesType(event) &&
      (subscriber.filter === undefined || subscriber.filter(event)),
  }
}

/**
 * The deliveries a new event needs. Ordered subscribers key their deliveries by tenant and entity;
 * an event without an entity id cannot be ordered against anything and runs unordered.
 */
export function planDeliveries(
  event: MatchableEvent,
  subscribers: readonly CompiledSubscriber[],
  now: number,
): NewDelivery[] {
  const deliveries: NewDelivery[] = []
  for (const subscriber of subscribers) {
    if (!subscriber.matches(event)) continue
    const { entityKind, entityId, locationId, companyId } = event.event
    const orderingKey =
      subscriber.ordered === 'entity' && entityId !== null
        ? `${subscriber.id}|${locationId ?? companyId ?? ''}|${entityKind ?? ''}:${entityId}`
        : null
    deliveries.push({ id: newId('dlv', now), subscriberId: subscriber.id, orderingKey, runAt: now })
  }
  return deliveries
}
