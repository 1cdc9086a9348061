import { z } from 'zod'
import type { GhlEnvelope } from './envelope.js'

/**
 * Operational events: what the gateway says about itself (a delivery dead-lettered, a destination
 * paused, back-pressure), stored as events of the built-in `gateway` source and delivered to the
 * handlers and destinations that name them, like any webhook. Emitted, coalesced and rate-limited
 * by `receive/operational-events.ts`; docs/operations.md ("Alerts: operational events") says how.
 *
 * Only patterns that start with `gateway.` match them (`gateway.*`, an exact type): `*`, `unknown`
 * and other sources' patterns never do, so a catch-all forwarder does not start receiving alerts,
 * and an alert subscriber is always one that asked for them by name.
 */

/** The source of operational events. No webhook route has it: nothing outside can post one. */
export const GATEWAY_SOURCE = 'gateway'

/**
 * Fields every operational event carries: how many occurrences of (type, subject) it stands for.
 * The first occurrence in a window is sent at once (`count` 1); further ones in that window are
 * counted into one event sent at its end (`count` n, `firstAt`…`lastAt`, a few sample ids).
 */
const occurrences = {
  /** What the event is about: a subscriber id, a token owner, `ingest`. */
  subject: z.string(),
  /** Occurrences this event stands for: 1 for the first, n for a window's summary. */
  count: z.number().int().positive(),
  /** First and last occurrence counted (ISO-8601 UTC). */
  firstAt: z.string(),
  lastAt: z.string(),
  /** Up to 5 ids of what the occurrences were about (delivery ids for dead letters), newest last. */
  sampleIds: z.array(z.string()),
  /** One line for a person (a chat message's text): `destination crm: 12 deliveries dead-lettered …`. */
  message: z.string(),
  /** Where the web console shows it, below the gateway's URL (`/ui/deliveries/dlv_…`). */
  consolePath: z.string(),
}

const deadLettered = z.object({
  ...occurrences,
  /** The last dead-lettered delivery of the window. */
  deliveryId: z.string(),
  eventId: z.string(),
  /** Its event's published type and source. */
  eventType: z.string(),
  eventSource: z.string(),
  subscriberId: z.string(),
  subscriberKind: z.enum(['handler', 'destination']),
  /** Attempts in its last cycle, and the error that ended it. */
  attempts: z.number().int(),
  error: z.string(),
})

const destinationPaused = z.object({
  ...occurrences,
  destinationId: z.string(),
  /** `gone`: it answered 410 Gone; `operator`: paused through the admin API or the console. */
  by: z.enum(['gone', 'operator']),
  reason: z.string(),
})

const circuit = z.object({
  ...occurrences,
  destinationId: z.string(),
  /** The attempts and failures in the breaker's window when it opened (0 when it closed). */
  attempts: z.number().int(),
  failures: z.number().int(),
  /** How long it stays open before a probe (ms). */
  cooldownMs: z.number().int(),
})

const backpressure = z.object({
  ...occurrences,
  /** Open deliveries counted when it changed, and BACKPRESSURE_HIGH_WATER. */
  backlog: z.number().int(),
  highWater: z.number().int(),
})

const reauthRequired = z.object({
  ...occurrences,
  appId: z.string(),
  userType: z.string(),
  ownerId: z.string(),
  reason: z.string(),
})

/** The catalog of operational events, in the order docs/events.md lists them. */
export const GATEWAY_EVENTS = [
  {
    type: 'gateway.delivery.dead_lettered',
    schema: deadLettered,
    description: 'a delivery ended `dead` after its attempts (or a permanent error); subject: the subscriber',
  },
  {
    type: 'gateway.destination.paused',
    schema: destinationPaused,
    description: 'a destination was paused (410 Gone, or an operator); subject: the destination',
  },
  {
    type: 'gateway.destination.circuit_opened',
    schema: circuit,
    description: "a destination's circuit breaker opened in a process; subject: the destination",
  },
  {
    type: 'gateway.destination.circuit_closed',
    schema: circuit,
    description: 'a probe succeeded and the circuit closed again; subject: the destination',
  },
  {
    type: 'gateway.backpressure.started',
    schema: backpressure,
    description: 'the backlog reached BACKPRESSURE_HIGH_WATER: new webhooks get 429; subject: `ingest`',
  },
  {
    type: 'gateway.backpressure.ended',
    schema: backpressure,
    description: 'the backlog fell below BACKPRESSURE_HIGH_WATER; subject: `ingest`',
  },
  {
    type: 'gateway.ghl.reauth_required',
    schema: reauthRequired,
    description:
      'GHL refused a token (invalid_grant, a refused Private Integration Token); subject: its owner',
  },
] as const

type Entry = (typeof GATEWAY_EVENTS)[number]
export type GatewayEventType = Entry['type']

/** Body type per operational event type: `GatewayEventMap['gateway.delivery.dead_lettered']`. */
export type GatewayEventMap = { [E in Entry as E['type']]: z.infer<E['schema']> }

/** What the part that notices an occurrence supplies; the emitter adds the occurrence fields. */
export type GatewayEventDetails = {
  [T in GatewayEventType]: Omit<GatewayEventMap[T], keyof typeof occurrences> & {
    message: string
    consolePath: string
  }
}

/** One occurrence, as reported to the emitter. `sampleId` names it (a delivery id), else the subject. */
export type OperationalReport = {
  [T in GatewayEventType]: { type: T; subject: string; sampleId?: string; details: GatewayEventDetails[T] }
}[GatewayEventType]

/** Reports an occurrence; never throws, never waits (the emitter stores it later, coalesced). */
export type ReportOperational = (report: OperationalReport) => void

/** The envelope of an operational event, typed by its type: `gw.on('gateway.backpressure.started', e => e.data.backlog)`. */
export type GatewayEvent<T extends GatewayEventType> = Omit<GhlEnvelope<'unknown'>, 'type' | 'data'> & {
  type: T
  data: GatewayEventMap[T]
}

/** Any operational event, discriminated by `type`. */
export type AnyGatewayEvent = { [T in GatewayEventType]: GatewayEvent<T> }[GatewayEventType]

export const GATEWAY_EVENT_TYPES: readonly GatewayEventType[] = GATEWAY_EVENTS.map((e) => e.type)

export function isGatewayEventType(value: unknown): value is GatewayEventType {
  return typeof value === 'string' && (GATEWAY_EVENT_TYPES as readonly string[]).includes(value)
}

/** A pattern that can match operational events: only those that name them. */
export function namesGatewayEvents(pattern: string): boolean {
  return pattern.startsWith(`${GATEWAY_SOURCE}.`)
}
