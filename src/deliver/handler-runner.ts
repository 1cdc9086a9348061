import type { AnyGhlEvent, TypeMapper } from '../catalog/index.js'
import type { AttemptReport, RunAttempt } from '../dispatch/attempt.js'
import { coerceError } from '../errors.js'
import type { GhlApi, GhlCallRecord } from '../ghl/api-client.js'
import type { GhlClient } from '../ghl/ghl-client.js'
import type { Logger } from '../observe/logger.js'
import type { ClaimedDelivery, Store } from '../store/types.js'
import { envelopeOf } from './envelope.js'
import { PermanentError, RetryableError } from './errors.js'
import { ghlClientFor, MAX_GHL_CALLS_SAVED } from './ghl-context.js'
import { ghlErrorReport } from './ghl-errors.js'

/** The second argument of every handler. */
export interface HandlerContext {
  /**
   * 1 on the first attempt of this cycle, 2 on the first retry, … (a replay starts again at 1). A run
   * deferred by GHL's rate limit does not count: the run after it has the same number.
   */
  attempt: number
  /** 0 until the delivery is replayed; n during its n-th replay. */
  cycle: number
  eventId: string
  deliveryId: string
  subscriberId: string
  /**
   * Stable across every retry and replay of this event for this handler — pass it to upstream
   * APIs as their idempotency key (e.g. Stripe's `Idempotency-Key`).
   */
  idempotencyKey: string
  /** Aborted when the attempt times out or the gateway stops: pass it to fetch() and friends. */
  signal: AbortSignal
  logger: Logger
  /**
   * Runs `fn` at most once per delivery and key: when a retried attempt reaches the same
   * `once`, it gets the recorded result instead of running `fn` again. The result must be
   * JSON-serialisable. (If the process dies after `fn` finished but before its result was
   * recorded, `fn` runs again — a crash window no store can close without the upstream's help.)
   */
  once<T>(key: string, fn: () => T | Promise<T>): Promise<T>
  /**
   * GHL's API for the event's location (else its company), aborted by `signal`: `request` and typed
   * helpers (docs/ghl-apps.md). Built on first use. A GHL error the handler lets escape decides the
   * retry: rate limited → deferred until GHL's window frees (not counted as an attempt, nor bound by
   * `retry.maxAge`; dead once the cycle is older than max(`retry.maxAge`, 8 days)); GHL down → retried; not installed or needing
   * a re-install → dead-lettered.
   */
  readonly ghl: GhlClient
}

export type Handler<E = AnyGhlEvent> = (event: E, ctx: HandlerContext) => unknown

/** Adapts a user handler to the worker: envelope in, report out, errors classified. */
export function handlerRunner(options: {
  handler: Handler
  store: Store
  types: TypeMapper
  logger?: Logger
  /** GHL's API, when a GHL app is configured. */
  ghl?: GhlApi | undefined
  /** A location's tenant id (`envelope.tenant.tenantId`), when a GHL app is configured. */
  tenantOf?: (locationId: string) => string | undefined
}): RunAttempt {
  const { handler, store, types, tenantOf } = options
  return async (delivery, { signal, logger, now }) => {
    const ctx = new AttemptContext(delivery, signal, logger, options.ghl)
    ctx.once = async <T>(key: string, fn: () => T | Promise<T>): Promise<T> => {
      const recorded = await store.onceResult(delivery.id, key)
      if (recorded.found) return recorded.result as T
      const value = await fn()
      return (await store.recordOnce(delivery.id, key, value, now())) as T
    }
    try {
      await handler(envelopeOf(delivery.event, types, tenantOf), ctx)
      return withGhlCalls({ outcome: 'success' }, ctx.ghlCalls)
    } catch (thrown) {
      return withGhlCalls(reportFor(coerceError(thrown)), ctx.ghlCalls)
    }
  }
}

/**
 * A handler's `ctx`. A class so that `ghl` is a getter on the prototype: defined on each attempt's
 * object, an accessor cost every delivery ~1 µs (measured), used or not. `once` stays an own
 * property (a closure), so `const { once } = ctx` keeps working.
 */
class AttemptContext implements HandlerContext {
  readonly attempt: number
  readonly cycle: number
  readonly eventId: string
  readonly deliveryId: string
  readonly subscriberId: string
  readonly idempotencyKey: string
  once!: HandlerContext['once']
  /** The GHL calls made so far (the last MAX_GHL_CALLS_SAVED); undefined until the first. */
  ghlCalls: GhlCallRecord[] | undefined
  #client: GhlClient | undefined
  readonly #event: ClaimedDelivery['event']
  readonly #ghlApi: GhlApi | undefined

  constructor(
    delivery: ClaimedDelivery,
    readonly signal: AbortSignal,
    readonly logger: Logger,
    ghlApi: GhlApi | undefined,
  ) {
    this.#event = delivery.event
    this.#ghlApi = ghlApi
    this.attempt = delivery.attempts
    this.cycle = delivery.cycle
    this.eventId = delivery.eventId
    this.deliveryId = delivery.id
    this.subscriberId = delivery.subscriberId
    this.idempotencyKey = `${delivery.eventId}:${delivery.subscriberId}`
  }

  get ghl(): GhlClient {
    this.#client ??= ghlClientFor(this.#ghlApi, this.#event, this.signal, (call) => {
      this.ghlCalls ??= []
      if (this.ghlCalls.push(call) > MAX_GHL_CALLS_SAVED) this.ghlCalls.shift()
    })
    return this.#client
  }
}

/** The GHL calls of an attempt join its record as `response.ghlCalls` (handlers save no response). */
function withGhlCalls(report: AttemptReport, calls: GhlCallRecord[] | undefined): AttemptReport {
  return calls ? { ...report, response: { ghlCalls: calls } } : report
}

function reportFor(error: Error): AttemptReport {
  const ghl = ghlErrorReport(error)
  if (ghl) return ghl
  if (error instanceof PermanentError) return { outcome: 'permanent', error }
  if (error instanceof RetryableError) return { outcome: 'retry', error, retryAfterMs: error.retryAfterMs }
  return { outcome: 'retry', error }
}
