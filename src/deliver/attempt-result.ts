import type { AttemptReport } from '../dispatch/attempt.js'
import { decideDeferral, decideRetry, type RetryPolicy } from '../dispatch/retry-policy.js'
import { newId } from '../ids.js'
import type { AttemptResult, ClaimedDelivery } from '../store/types.js'

/**
 * What the store records for one finished attempt: the attempt (its error text capped) and the
 * delivery's next state. Success → `succeeded`; a permanent failure → `dead`; otherwise the retry
 * policy decides between `retry_scheduled` at its next run time and `dead` with its reason. A
 * deferred retry (GHL's rate limit) is `retry_scheduled` with `deferred`: the store gives the
 * attempt back, and only the deferral bound (decideDeferral) can make it `dead`.
 */
export function attemptResult(
  delivery: ClaimedDelivery,
  retry: RetryPolicy,
  report: AttemptReport,
  timing: { startedAt: number; durationMs: number; traceId?: string | null },
  worker: { id: string; now: () => number; random?: (() => number) | undefined },
): AttemptResult {
  const { startedAt, durationMs } = timing
  const error = report.outcome === 'success' ? undefined : report.error
  const attempt = {
    id: newId('att', startedAt),
    number: delivery.attempts,
    cycle: delivery.cycle,
    startedAt,
    durationMs,
    errorClass: error ? error.name : null,
    errorMessage: error ? error.message.slice(0, 2000) : null,
    errorStack: error?.stack ? error.stack.slice(0, 8000) : null,
    response: report.response ?? null,
    traceId: timing.traceId ?? null,
  }
  const base = { deliveryId: delivery.id, worker: worker.id, attempt }
  if (report.outcome === 'success') return { ...base, next: { state: 'succeeded' } }
  const message = `${report.error.name}: ${report.error.message}`.slice(0, 2000)
  if (report.outcome === 'permanent') return { ...base, next: { state: 'dead', error: message } }
  if (report.deferred) {
    const decision = decideDeferral(retry, delivery.cycleStartedAt, worker.now(), report.retryAfterMs ?? 0)
    if (decision.kind === 'dead')
      return { ...base, next: { state: 'dead', error: `${message} (${decision.reason})` } }
    return {
      ...base,
      next: { state: 'retry_scheduled', runAt: decision.runAt, error: message, deferred: true },
    }
  }
  const decision = decideRetry(
    retry,
    { attempts: delivery.attempts, cycleStartedAt: delivery.cycleStartedAt },
    worker.now(),
    report.retryAfterMs,
    worker.random,
  )
  if (decision.kind === 'dead')
    return { ...base, next: { state: 'dead', error: `${message} (${decision.reason})` } }
  return { ...base, next: { state: 'retry_scheduled', runAt: decision.runAt, error: message } }
}
