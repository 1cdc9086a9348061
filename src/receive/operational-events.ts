import {
  GATEWAY_SOURCE,
  type GatewayEventType,
  namesGatewayEvents,
  type OperationalReport,
} from '../catalog/index.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import { planDeliveries } from '../dispatch/subscribers.js'
import { formatDuration } from '../duration.js'
import { coerceError } from '../errors.js'
import { newId } from '../ids.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import type { InsertOutcome, NewEvent } from '../store/types.js'
import { contentHashOf } from './classify-event.js'

/**
 * Turns reports of what happened inside the gateway (catalog/gateway-events.ts) into stored events
 * of the `gateway` source: through the ingestor like a webhook (same transaction with their
 * deliveries, so they get retries, the dead-letter queue and replay), never over HTTP.
 *
 * An outage makes a handful of alerts, not thousands:
 * - Coalesced per (type, subject) in windows aligned to the clock (OPERATIONAL_EVENTS_WINDOW): the
 *   first occurrence of a window is stored at once; the others are counted and stored as one
 *   summary when the window ends (`count`, `firstAt`, `lastAt`, `sampleIds`). A storm of 1,000 dead
 *   letters to one destination is two events per window.
 * - Capped per process (OPERATIONAL_EVENTS_PER_MINUTE): an occurrence over the cap is counted into
 *   its window's summary, and a summary over the cap waits for the next minute — late, never lost
 *   while the process runs.
 * - Replicas coalesce through the store's dedupe: a window's first event has a deterministic key
 *   (type, subject, window start), so several processes that see one destination's circuit open,
 *   or one back-pressure episode, store one event. Summaries carry this process's counts and key.
 *
 * Never loops: an event about a subscriber that takes operational events itself (an alert
 * destination dead-lettering, pausing or tripping its circuit), or about an operational event's own
 * delivery, is stored flagged `operational_loop` and delivered to no one. Otherwise an alert
 * destination that always fails would keep feeding itself (or another alert destination).
 */

export interface OperationalEventsOptions {
  registry: SubscriberRegistry
  logger: Logger
  /** OPERATIONAL_EVENTS_WINDOW. */
  windowMs: number
  /** OPERATIONAL_EVENTS_PER_MINUTE. */
  perMinute: number
  /** This process: part of a summary's dedupe key (its counts are this process's). */
  instanceId: string
  /** @default Date.now */
  now?: () => number
  /** (type, subject) pairs tracked at once; occurrences of further ones are dropped, logged. @default 1000 */
  maxSubjects?: number
  metrics: Pick<
    Metrics,
    'operationalOccurrences' | 'operationalEvents' | 'operationalDropped' | 'operationalPendingSource'
  >
}

/** Stores one event; the ingestor's `submit`. */
export type SubmitEvent = (event: NewEvent) => Promise<InsertOutcome>

interface Window {
  type: GatewayEventType
  subject: string
  start: number
  firstStored: boolean
  /** Occurrences counted for the summary, the last report kept for its details. */
  pending?: { count: number; firstAt: number; lastAt: number; sampleIds: string[]; last: OperationalReport }
}

const SAMPLES = 5
const MINUTE = 60_000

export class OperationalEvents {
  readonly #o: Required<OperationalEventsOptions>
  readonly #windows = new Map<string, Window>()
  #submit: SubmitEvent | undefined
  #minute = 0
  #usedThisMinute = 0
  #timer: NodeJS.Timeout | undefined
  #timerAt = Number.POSITIVE_INFINITY
  #dropped = 0
  #closed = false
  readonly #inFlight = new Set<Promise<void>>()

  constructor(options: OperationalEventsOptions) {
    this.#o = { ...options, now: options.now ?? Date.now, maxSubjects: options.maxSubjects ?? 1000 }
    options.metrics.operationalPendingSource.current = () => this.pending()
  }

  /** Occurrences counted for summaries that are not stored yet. */
  pending(): number {
    let pending = 0
    for (const window of this.#windows.values()) pending += window.pending?.count ?? 0
    return pending
  }

  /** Where events go: the ingestor, which is built after the parts that report. */
  attach(submit: SubmitEvent): void {
    this.#submit = submit
  }

  /** One occurrence. Synchronous and never throws: callers are the worker, destinations, ingest. */
  readonly report = (report: OperationalReport): void => {
    if (this.#closed) return
    try {
      this.#count(report, this.#o.now())
    } catch (error) {
      this.#o.logger.warn({ err: error, type: report.type }, 'could not record an operational event')
    }
  }

  #count(report: OperationalReport, now: number): void {
    this.#o.metrics.operationalOccurrences.inc({ type: report.type })
    const key = `${report.type}|${report.subject}`
    const start = now - (now % this.#o.windowMs)
    let window = this.#windows.get(key)
    if (window && window.start !== start) {
      // The window ended before its timer ran: its summary goes now, or is carried on (cap reached).
      if (window.pending && !this.#take(now)) window.start = start
      else {
        if (window.pending) this.#store(window, 'summary', now)
        this.#windows.delete(key)
        window = undefined
      }
    }
    if (!window) {
      if (this.#windows.size >= this.#o.maxSubjects) {
        this.#o.metrics.operationalDropped.inc({ type: report.type })
        if (this.#dropped++ === 0)
          this.#o.logger.warn(
            { type: report.type, subject: report.subject },
            `operational events: more than ${this.#o.maxSubjects} subjects at once; further ones are dropped until windows end`,
          )
        return
      }
      window = { type: report.type, subject: report.subject, start, firstStored: false }
      this.#windows.set(key, window)
    }
    if (!window.firstStored && !window.pending && this.#take(now)) {
      window.firstStored = true
      this.#store(window, 'first', now, report)
      this.#schedule(start + this.#o.windowMs)
      return
    }
    const pending = window.pending
    const sample = report.sampleId ?? report.subject
    if (pending) {
      pending.count++
      pending.lastAt = now
      pending.last = report
      pending.sampleIds.push(sample)
      if (pending.sampleIds.length > SAMPLES) pending.sampleIds.shift()
    } else window.pending = { count: 1, firstAt: now, lastAt: now, sampleIds: [sample], last: report }
    this.#schedule(window.start + this.#o.windowMs)
  }

  /** Stores the summaries of ended windows (as the cap allows) and forgets ended windows. */
  flush(now = this.#o.now()): void {
    let next = Number.POSITIVE_INFINITY
    for (const [key, window] of this.#windows) {
      const end = window.start + this.#o.windowMs
      if (now < end) {
        if (window.pending) next = Math.min(next, end)
        continue
      }
      if (!window.pending) {
        this.#windows.delete(key)
      } else if (this.#take(now)) {
        this.#store(window, 'summary', now)
        this.#windows.delete(key)
      } else {
        next = Math.min(next, now - (now % MINUTE) + MINUTE)
      }
    }
    if (this.#windows.size === 0 && this.#dropped > 0) {
      this.#o.logger.warn(
        { dropped: this.#dropped },
        'operational events dropped (too many subjects at once)',
      )
      this.#dropped = 0
    }
    if (next < Number.POSITIVE_INFINITY) this.#schedule(next)
  }

  /** Resolves when every event handed to the ingestor so far is stored (or failed). */
  async settled(): Promise<void> {
    while (this.#inFlight.size) await Promise.all([...this.#inFlight])
  }

  /** Stores every pending summary now (the cap does not apply: the process is stopping), then stops. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#timer)
    const now = this.#o.now()
    for (const window of this.#windows.values()) if (window.pending) this.#store(window, 'summary', now)
    this.#windows.clear()
    await this.settled()
  }

  #take(now: number): boolean {
    const minute = now - (now % MINUTE)
    if (minute !== this.#minute) {
      this.#minute = minute
      this.#usedThisMinute = 0
    }
    if (this.#usedThisMinute >= this.#o.perMinute) return false
    this.#usedThisMinute++
    return true
  }

  #schedule(at: number): void {
    if (this.#closed || at >= this.#timerAt) return
    clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = setTimeout(
      () => {
        this.#timerAt = Number.POSITIVE_INFINITY
        this.flush()
      },
      Math.max(0, at - this.#o.now()),
    )
    this.#timer.unref()
  }

  #store(window: Window, kind: 'first' | 'summary', now: number, first?: OperationalReport): void {
    const pending = kind === 'summary' ? window.pending : undefined
    if (pending) window.pending = undefined
    const report = pending?.last ?? first
    if (!report) return
    const count = pending?.count ?? 1
    const firstAt = new Date(pending?.firstAt ?? now).toISOString()
    const lastAt = new Date(pending?.lastAt ?? now).toISOString()
    const message = pending
      ? `${count} more in ${formatDuration(this.#o.windowMs)} (${firstAt} … ${lastAt}); the last: ${report.details.message}`
      : report.details.message
    const body = {
      ...report.details,
      message,
      subject: window.subject,
      count,
      firstAt,
      lastAt,
      sampleIds: pending?.sampleIds ?? [report.sampleId ?? report.subject],
    }
    const windowAt = new Date(window.start).toISOString()
    const dedupeKey =
      kind === 'first'
        ? `${window.type}|${window.subject}|${windowAt}|first`
        : `${window.type}|${window.subject}|${windowAt}|summary|${this.#o.instanceId}`
    const event = this.#event(report, body, dedupeKey, now)
    const submit = this.#submit
    if (!submit) {
      this.#o.metrics.operationalEvents.inc({ type: report.type, kind, outcome: 'failed' })
      this.#o.logger.warn(
        { type: report.type, message },
        'operational event before the gateway was assembled; logged only',
      )
      return
    }
    const stored: Promise<void> = submit(event)
      .then((outcome) => {
        this.#o.metrics.operationalEvents.inc({ type: report.type, kind, outcome: outcome.status })
        this.#o.logger.info(
          {
            type: report.type,
            subject: window.subject,
            count,
            eventId: outcome.eventId,
            outcome: outcome.status,
          },
          `operational event ${report.type}: ${message}`,
        )
      })
      .catch((error: unknown) => {
        this.#o.metrics.operationalEvents.inc({ type: report.type, kind, outcome: 'failed' })
        this.#o.logger.warn(
          { err: coerceError(error), type: report.type, subject: window.subject, count },
          `could not store operational event ${report.type}: ${message}`,
        )
      })
      .finally(() => this.#inFlight.delete(stored))
    this.#inFlight.add(stored)
  }

  #event(report: OperationalReport, body: Record<string, unknown>, dedupeKey: string, now: number): NewEvent {
    const rawBody = Buffer.from(JSON.stringify(body))
    const loop = this.#aboutAlertSubscriber(report)
    const owner = report.type === 'gateway.ghl.reauth_required' ? report.details : undefined
    const event: NewEvent = {
      id: newId('evt', now),
      source: GATEWAY_SOURCE,
      dedupeKey,
      webhookId: null,
      receivedAt: now,
      contentType: 'application/json',
      headers: {},
      rawBody,
      contentHash: contentHashOf(rawBody),
      // Written by this gateway: nothing to verify.
      verification: { scheme: 'none', verified: true },
      flags: loop ? ['operational_loop'] : [],
      eventHint: null,
      ghlType: null,
      eventName: null,
      eventType: report.type,
      entityKind: entityKindOf(report.type),
      entityId: report.subject,
      locationId: owner?.userType === 'Location' ? owner.ownerId : null,
      companyId: owner?.userType === 'Company' ? owner.ownerId : null,
      sentAt: null,
      occurredAt: typeof body.firstAt === 'string' ? body.firstAt : null,
      bodyFormat: 'flat',
      schemaStatus: null,
      classification: null,
      deliveries: [],
    }
    if (!loop) {
      event.deliveries = planDeliveries(
        { source: GATEWAY_SOURCE, type: report.type, event, body },
        this.#o.registry.list(),
        now,
      )
    }
    return event
  }

  /**
   * The loop guard: the occurrence is about an operational event's delivery, or about a subscriber
   * that takes operational events (decided now, from the registry as it is).
   */
  #aboutAlertSubscriber(report: OperationalReport): boolean {
    let subscriberId: string | undefined
    switch (report.type) {
      case 'gateway.delivery.dead_lettered':
        if (report.details.eventSource === GATEWAY_SOURCE) return true
        subscriberId = report.details.subscriberId
        break
      case 'gateway.destination.paused':
      case 'gateway.destination.circuit_opened':
      case 'gateway.destination.circuit_closed':
        subscriberId = report.details.destinationId
        break
      case 'gateway.backpressure.started':
      case 'gateway.backpressure.ended':
      case 'gateway.ghl.reauth_required':
        return false
      default: {
        const unreachable: never = report
        throw new Error(`unknown operational event ${(unreachable as { type: string }).type}`)
      }
    }
    const subscriber = this.#o.registry.get(subscriberId)
    if (!subscriber) return false
    const takesOperational = subscriber.sources === undefined || subscriber.sources.includes(GATEWAY_SOURCE)
    return takesOperational && subscriber.events.some(namesGatewayEvents)
  }
}

function entityKindOf(type: GatewayEventType): string {
  if (type === 'gateway.delivery.dead_lettered') return 'subscriber'
  if (type.startsWith('gateway.destination.')) return 'destination'
  if (type.startsWith('gateway.backpressure.')) return 'ingest'
  return 'ghl_token'
}

/** Back-pressure started (`over`) or ended, as the ingestor saw its backlog cross the mark. */
export function backpressureReport(over: boolean, backlog: number, highWater: number): OperationalReport {
  const details = { backlog, highWater, consolePath: '/ui/overview' }
  return over
    ? {
        type: 'gateway.backpressure.started',
        subject: 'ingest',
        details: {
          ...details,
          message: `back-pressure: ${backlog} deliveries are open (BACKPRESSURE_HIGH_WATER ${highWater}); new webhooks get 429 until the backlog falls`,
        },
      }
    : {
        type: 'gateway.backpressure.ended',
        subject: 'ingest',
        details: {
          ...details,
          message: `back-pressure ended: ${backlog} deliveries open, below ${highWater}; webhooks are accepted again`,
        },
      }
}
