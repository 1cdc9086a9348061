import type { ReportOperational, TypeMapper } from '../../catalog/index.js'
import type { AttemptReport, RunAttempt } from '../../dispatch/attempt.js'
import { retryPolicy } from '../../dispatch/retry-policy.js'
import type { Subscriber } from '../../dispatch/subscribers.js'
import { coerceError } from '../../errors.js'
import type { Logger } from '../../observe/logger.js'
import type { Metrics } from '../../observe/metrics.js'
import type { DestinationState, StoredEvent } from '../../store/types.js'
import { decodeStandardSecret } from '../../verify/standard-webhooks.js'
import { compileFilter } from '../filter.js'
import { circuitReport, pausedReport } from '../operational-reports.js'
import type { DestinationDefinition } from '../schema.js'
import { type Authenticator, createAuthenticator } from './auth.js'
import { CIRCUIT_STATE_VALUE, CircuitBreaker } from './circuit-breaker.js'
import type { AttemptVerdict } from './classify-attempt.js'
import type { HttpClient, HttpResult, SavedResponse } from './client.js'
import { DestinationGone, HttpStatusError } from './errors.js'
import { TokenBucket } from './rate-limit.js'
import { type SendOptions, type SendResult, sendEvent } from './send-event.js'
import { SharedTokenBucket } from './shared-rate-limit.js'

export interface DestinationRuntimeDeps {
  client: HttpClient
  types: TypeMapper
  metrics: Metrics
  logger: Logger
  userAgent: string
  /** A 410 paused the destination: make it last (store) and visible to other processes. */
  onGone: (id: string, reason: string) => Promise<void>
  /** Deliveries may start again (a rate-limit token, a circuit probe): wake the worker. */
  wake: () => void
  /** A 410 pause, the circuit opening or closing: the operational events. @default none */
  report?: ReportOperational
  now: () => number
  /**
   * Take tokens from the store's shared bucket (several processes on one PostgreSQL). Absent, the
   * rate limit is counted in this process only.
   */
  takeSharedTokens?: (
    key: string,
    want: number,
    limit: { perSecond: number; burst: number },
  ) => Promise<number>
}

/**
 * One destination at run time: its compiled matcher, credentials, rate limiter and circuit
 * breaker, and the subscriber the worker runs. Rebuilt when the definition changes; state
 * changes (pause, resume, gone) happen in place, keeping the breaker and the bucket.
 */
export class DestinationRuntime {
  readonly id: string
  readonly definition: DestinationDefinition
  state: DestinationState
  stateReason: string | null
  readonly breaker: CircuitBreaker | undefined
  readonly bucket: TokenBucket | SharedTokenBucket | undefined
  readonly auth: Authenticator | undefined
  readonly #deps: DestinationRuntimeDeps
  readonly #secrets: Buffer[]
  readonly #target: string
  readonly #traceAttributes: Record<string, string | number>
  #wakeTimer: NodeJS.Timeout | undefined
  #wakeAt = Number.POSITIVE_INFINITY

  constructor(
    definition: DestinationDefinition,
    deps: DestinationRuntimeDeps,
    state: { state: DestinationState; reason: string | null },
  ) {
    this.id = definition.id
    this.definition = definition
    this.#deps = deps
    this.state = definition.enabled ? state.state : 'disabled'
    this.stateReason = state.reason
    this.#secrets = (definition.signing?.secrets ?? []).map((secret) => decodeStandardSecret(secret))
    const url = new URL(definition.url)
    this.#target = `${definition.method} ${url.origin}`
    this.#traceAttributes = {
      'http.request.method': definition.method,
      'url.full': url.origin,
      'server.address': url.hostname,
    }
    this.auth = createAuthenticator(definition.auth, deps.client)
    const { perSecond, burst } = definition.rateLimit
    const share = deps.takeSharedTokens
    if (perSecond === undefined) this.bucket = undefined
    else if (share) {
      const limit = { perSecond, burst: burst ?? Math.max(1, Math.ceil(perSecond / 10)) }
      this.bucket = new SharedTokenBucket({
        perSecond,
        burst,
        take: (want) => share(`destination:${definition.id}`, want, limit),
        onTokens: () => deps.wake(),
      })
    } else this.bucket = new TokenBucket(perSecond, burst, deps.now())
    this.breaker =
      definition.circuitBreaker === false
        ? undefined
        : new CircuitBreaker(definition.circuitBreaker, (circuit, window) => {
            deps.metrics.destinationCircuit.set({ destination: this.id }, CIRCUIT_STATE_VALUE[circuit])
            if (circuit !== 'half_open' && this.breaker)
              deps.report?.(
                circuitReport(
                  this.id,
                  circuit,
                  this.breaker.snapshot(deps.now()),
                  window ?? { attempts: 0, failures: 0 },
                ),
              )
            if (circuit !== 'closed')
              deps.logger.warn(
                { destination: this.id, circuit },
                `destination ${this.id}: circuit ${circuit}`,
              )
            else deps.logger.info({ destination: this.id, circuit }, `destination ${this.id}: circuit closed`)
          })
    deps.metrics.destinationCircuit.set({ destination: this.id }, 0)
    this.setState(this.state, this.stateReason)
  }

  setState(state: DestinationState, reason: string | null): void {
    this.state = this.definition.enabled ? state : 'disabled'
    this.stateReason = reason
    for (const s of ['active', 'paused', 'disabled'] as const)
      this.#deps.metrics.destinationState.set({ destination: this.id, state: s }, s === this.state ? 1 : 0)
  }

  /** The subscriber the registry and the worker see. */
  subscriber(): Subscriber {
    const d = this.definition
    const filter = compileFilter(d.filter)
    return {
      id: d.id,
      kind: 'destination',
      events: d.events,
      sources: d.sources,
      // A disabled destination gets no new deliveries; a paused one keeps accumulating them.
      filter: (event) => this.state !== 'disabled' && (filter === undefined || filter(event)),
      ordered: d.ordered,
      retry: retryPolicy(d.retry),
      concurrency: d.rateLimit.concurrency,
      // The attempt enforces `timeout` itself (with a clear error); the worker's limit is a backstop.
      timeoutMs: d.timeout + 1000,
      available: (now) => this.available(now),
      run: this.run,
      // The origin only, as in every message: a webhook URL's path often holds its secret.
      traceAttributes: this.#traceAttributes,
    }
  }

  /** How many deliveries may start now (paused: none; circuit open: none; half-open: one; tokens). */
  available(now: number): number {
    if (this.state !== 'active') return 0
    let allowed = Number.POSITIVE_INFINITY
    if (this.breaker) {
      allowed = Math.min(allowed, this.breaker.available(now))
      if (allowed === 0) this.#wakeIn(this.breaker.msUntilProbe(now))
    }
    if (this.bucket && allowed > 0) {
      const tokens = this.bucket.available(now)
      if (tokens === 0) this.#wakeIn(this.bucket.msUntilNext(now))
      allowed = Math.min(allowed, tokens)
    }
    return allowed
  }

  readonly run: RunAttempt = async (delivery, context) => {
    const now = context.now()
    this.bucket?.take(now)
    const ticket = this.breaker?.onStart(now)
    let sent: SendResult
    try {
      sent = await this.send(delivery.event, {
        attempt: delivery.attempts,
        cycle: delivery.cycle,
        deliveryId: delivery.id,
        now,
        signal: context.signal,
        traceParent: context.traceParent ?? null,
        traceState: context.traceState ?? null,
      })
    } catch (thrown) {
      // A bug, not the destination's answer; retried, and not held against the destination.
      if (ticket) this.breaker?.onResult(context.now(), ticket, false)
      return { outcome: 'retry', error: coerceError(thrown) }
    }
    const { verdict, result } = sent
    if (ticket) this.breaker?.onResult(context.now(), ticket, verdict.kind === 'success')
    this.#deps.metrics.destinationResponses.inc({ destination: this.id, class: resultClass(result) })
    return this.#report(sent, result.saved)
  }

  /**
   * Sends one event as this destination would (payload, headers, signature, auth), without
   * touching the rate limit, the circuit or the state. Never throws for the destination's answer.
   */
  send(event: StoredEvent, options: SendOptions): Promise<SendResult> {
    return sendEvent(this.definition, event, options, {
      client: this.#deps.client,
      types: this.#deps.types,
      userAgent: this.#deps.userAgent,
      auth: this.auth,
      secrets: this.#secrets,
      target: this.#target,
    })
  }

  async #report(sent: SendResult, saved: SavedResponse): Promise<AttemptReport> {
    const { verdict, result } = sent
    const response = saved as unknown as Record<string, unknown>
    switch (verdict.kind) {
      case 'success':
        return { outcome: 'success', response }
      case 'retry':
        return { outcome: 'retry', error: errorFor(sent), retryAfterMs: verdict.retryAfterMs, response }
      case 'fatal':
        return { outcome: 'permanent', error: errorFor(sent), response }
      case 'disable': {
        const reason = `gone: ${this.#target} answered 410 Gone`
        if (this.state === 'active') {
          this.setState('paused', reason)
          this.#deps.logger.warn(
            { destination: this.id, status: result.kind === 'response' ? result.status : null },
            `destination ${this.id} answered 410 Gone: paused until resumed (POST /api/destinations/${this.id}/resume); its deliveries wait`,
          )
          await this.#deps.onGone(this.id, reason).catch((error: unknown) => {
            this.#deps.logger.error({ err: error, destination: this.id }, 'could not record the pause')
          })
          this.#deps.report?.(pausedReport(this.id, 'gone', reason))
        }
        // Not lost: due again at once, claimed when the destination is resumed.
        return { outcome: 'retry', error: errorFor(sent), retryAfterMs: 0, response }
      }
      default: {
        const unreachable: never = verdict
        throw new Error(`unknown verdict ${(unreachable as AttemptVerdict).kind}`)
      }
    }
  }

  /** One wake-up timer per destination, at the earliest time something may start again. */
  #wakeIn(ms: number): void {
    if (ms <= 0) return
    const at = Date.now() + ms
    if (at >= this.#wakeAt) return
    clearTimeout(this.#wakeTimer)
    this.#wakeAt = at
    this.#wakeTimer = setTimeout(() => {
      this.#wakeAt = Number.POSITIVE_INFINITY
      this.#deps.wake()
    }, ms)
    this.#wakeTimer.unref()
  }

  close(): void {
    clearTimeout(this.#wakeTimer)
    this.#wakeAt = Number.POSITIVE_INFINITY
  }

  /** The destination is gone from this process: drop its metric series. */
  forgetMetrics(): void {
    const { metrics } = this.#deps
    metrics.destinationCircuit.remove({ destination: this.id })
    for (const state of ['active', 'paused', 'disabled'] as const)
      metrics.destinationState.remove({ destination: this.id, state })
  }
}

function errorFor(sent: SendResult): Error {
  const { verdict, result, target } = sent
  if (verdict.kind === 'success') return new Error(verdict.message)
  if (result.kind === 'error') {
    const error = result.error
    error.message = `${target}: ${error.message}`
    return error
  }
  const message = `${target} ${verdict.message}`
  return verdict.kind === 'disable'
    ? new DestinationGone(message)
    : new HttpStatusError(result.status, message)
}

/** Result classes for the responses metric: bounded labels. */
function resultClass(result: HttpResult): string {
  if (result.kind === 'response') return `${Math.floor(result.status / 100)}xx`
  switch (result.error.name) {
    case 'DestinationTimeout':
      return 'timeout'
    case 'EgressRefused':
      return 'refused'
    case 'OAuthTokenError':
      return 'auth'
    default:
      return 'network'
  }
}
