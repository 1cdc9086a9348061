import { EventEmitter } from 'node:events'
import { publishedType, type TypeMapper } from '../catalog/index.js'
import type { AttemptResult, ClaimedDelivery, InsertOutcome, NewEvent } from '../store/types.js'

/**
 * The live stream: what THIS process receives and delivers, as it happens. The webhook route
 * publishes every committed event (accepted and duplicate) right after its commit; the worker
 * publishes every recorded attempt. `GET /api/stream` (Server-Sent Events) forwards it to
 * `ghl-gateway tail`.
 *
 * In-process only, by design: nothing is stored or shared, so publishing costs nothing when nobody
 * listens (`active` is false and publishers skip building messages). With several gateway processes
 * behind a load balancer each streams only its own traffic: tail each process, or query
 * `/api/events` and `/api/deliveries`, which read the shared database.
 *
 * A listener that throws is reported to `onListenerError` and never reaches the publisher: a
 * broken stream client must not turn a committed webhook into a 500 or stall a worker.
 */

/** An event stored (or recognised as a duplicate) by the webhook route. */
export interface LiveEvent {
  kind: 'event'
  /** The stored event's id (for a duplicate: the first copy's). */
  id: string
  source: string
  /** The published type (`publishedType`: renames applied, a source's own type, or `<source>.event`). */
  type: string
  /** GHL doc name (`ContactCreate`), `unknown`, or null for other sources. */
  name: string | null
  ghlType: string | null
  webhookId: string | null
  locationId: string | null
  entity: { kind: string | null; id: string | null }
  outcome: InsertOutcome['status']
  receivedAt: string
  flags: string[]
}

/** One attempt of a delivery, as recorded by the worker. */
export interface LiveDelivery {
  kind: 'delivery'
  deliveryId: string
  eventId: string
  subscriber: string
  /** 1, 2, … within the cycle, as the handler's `ctx.attempt` and the `x-gateway-attempt` header say. */
  attempt: number
  /** 0 until the delivery is replayed; n for the attempts of its n-th replay. */
  cycle: number
  /** `retry`: failed, another attempt is scheduled; `dead`: now in the dead-letter queue. */
  outcome: 'succeeded' | 'retry' | 'dead'
  error: string | null
  durationMs: number
  at: string
  // The event's fields the stream filters on.
  source: string
  type: string
  name: string | null
  locationId: string | null
}

export type LiveMessage = LiveEvent | LiveDelivery

/** `GET /api/stream?type=&location=&source=&kind=`: every given field must match. */
export interface LiveFilter {
  /** Published type or GHL name (`contact.created`, `ContactCreate`); `contact.*` matches a prefix. */
  type?: string
  /** GHL locationId. */
  location?: string
  source?: string
  /** Only events, or only delivery attempts. */
  kind?: LiveMessage['kind']
}

interface LiveStreamEvents {
  message: [LiveMessage]
}

export interface LiveStreamOptions {
  /** A listener threw. @default ignore */
  onListenerError?: (error: unknown) => void
}

/** A typed, throw-safe wrapper around one EventEmitter channel. */
export class LiveStream {
  readonly #emitter = new EventEmitter<LiveStreamEvents>()
  readonly #onListenerError: (error: unknown) => void

  constructor(options: LiveStreamOptions = {}) {
    // Every stream client is one listener; their number is bounded by connections, not by a warning.
    this.#emitter.setMaxListeners(0)
    this.#onListenerError = options.onListenerError ?? (() => {})
  }

  /** True when at least one client listens; publishers build no message otherwise. */
  get active(): boolean {
    return this.#emitter.listenerCount('message') > 0
  }

  /** Listeners attached now (tests check that disconnected clients leave none behind). */
  listenerCount(): number {
    return this.#emitter.listenerCount('message')
  }

  /** Calls `listener` for every message from now on; the returned function (idempotent) stops it. */
  subscribe(listener: (message: LiveMessage) => void): () => void {
    const safe = (message: LiveMessage) => {
      try {
        listener(message)
      } catch (error) {
        this.#onListenerError(error)
      }
    }
    this.#emitter.on('message', safe)
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      this.#emitter.off('message', safe)
    }
  }

  /** Synchronous and never throws. */
  publish(message: LiveMessage): void {
    this.#emitter.emit('message', message)
  }
}

/** The stream message for an event the webhook route just committed. */
export function liveEvent(event: NewEvent, outcome: InsertOutcome, types: TypeMapper): LiveEvent {
  return {
    kind: 'event',
    id: outcome.eventId,
    source: event.source,
    type: publishedType(event, types),
    name: event.eventName,
    ghlType: event.ghlType,
    webhookId: event.webhookId,
    locationId: event.locationId,
    entity: { kind: event.entityKind, id: event.entityId },
    outcome: outcome.status,
    receivedAt: new Date(event.receivedAt).toISOString(),
    flags: event.flags,
  }
}

/** The stream message for an attempt the worker just recorded. */
export function liveDelivery(
  delivery: ClaimedDelivery,
  result: AttemptResult,
  types: TypeMapper,
): LiveDelivery {
  const { next, attempt } = result
  return {
    kind: 'delivery',
    deliveryId: delivery.id,
    eventId: delivery.eventId,
    subscriber: delivery.subscriberId,
    attempt: attempt.number,
    cycle: attempt.cycle,
    outcome: next.state === 'retry_scheduled' ? 'retry' : next.state,
    error: next.state === 'succeeded' ? null : next.error,
    durationMs: Math.round(attempt.durationMs * 1000) / 1000,
    at: new Date(attempt.startedAt + attempt.durationMs).toISOString(),
    source: delivery.event.source,
    type: publishedType(delivery.event, types),
    name: delivery.event.eventName,
    locationId: delivery.event.locationId,
  }
}

export function matchesLive(filter: LiveFilter, message: LiveMessage): boolean {
  if (filter.kind !== undefined && message.kind !== filter.kind) return false
  if (filter.source !== undefined && message.source !== filter.source) return false
  if (filter.location !== undefined && message.locationId !== filter.location) return false
  if (filter.type !== undefined) {
    const { type } = filter
    if (type.endsWith('*')) {
      const prefix = type.slice(0, -1)
      if (!(message.type.startsWith(prefix) || message.name?.startsWith(prefix))) return false
    } else if (message.type !== type && message.name !== type) {
      return false
    }
  }
  return true
}
