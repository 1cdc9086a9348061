import type { AttemptReport } from '../dispatch/attempt.js'
import type { CompiledSubscriber } from '../dispatch/subscribers.js'
import { coerceError } from '../errors.js'
import type { Logger } from '../observe/logger.js'
import type { ClaimedDelivery } from '../store/types.js'
import { HandlerTimeoutError } from './errors.js'

/**
 * Runs one attempt under the subscriber's timeout. Whichever comes first ends it: the subscriber's
 * report (a throw is a retry), the timeout (aborts `abort` with a HandlerTimeoutError, a retry), or
 * `abort` from outside (the gateway stopping, a retry with its reason). The subscriber may keep
 * running after its signal is aborted; the report no longer waits for it.
 */
export async function runWithTimeout(
  subscriber: CompiledSubscriber,
  delivery: ClaimedDelivery,
  abort: AbortController,
  log: Logger,
  now: () => number,
  /** The attempt span's W3C trace context (observe/tracing.ts, `AttemptSpan`), for destinations. */
  trace: { traceParent: string | null; traceState: string | null },
): Promise<AttemptReport> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<AttemptReport>((resolve) => {
    timer = setTimeout(() => {
      const error = new HandlerTimeoutError(subscriber.timeoutMs)
      abort.abort(error)
      resolve({ outcome: 'retry', error })
    }, subscriber.timeoutMs)
  })
  const aborted = new Promise<AttemptReport>((resolve) => {
    abort.signal.addEventListener(
      'abort',
      () => resolve({ outcome: 'retry', error: coerceError(abort.signal.reason) }),
      {
        once: true,
      },
    )
  })
  try {
    return await Promise.race([
      subscriber
        .run(delivery, {
          signal: abort.signal,
          logger: log,
          now,
          traceParent: trace.traceParent,
          traceState: trace.traceState,
        })
        .catch((error: unknown): AttemptReport => ({ outcome: 'retry', error: coerceError(error) })),
      timeout,
      aborted,
    ])
  } finally {
    clearTimeout(timer)
  }
}
