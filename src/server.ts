import type { Gateway } from './gateway.js'
import type { Logger } from './observe/logger.js'

/**
 * Two-stage shutdown: the first SIGTERM/SIGINT drains (new webhooks get 503, in-flight ones
 * commit, running attempts finish or are aborted) within `timeoutMs`; a second signal exits at once.
 */
export function handleSignals(gateway: Gateway, logger: Logger, timeoutMs: number): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without draining')
      logger.flush()
      process.exit(1)
    }
    stopping = true
    logger.info({ signal, timeoutMs }, 'draining: new webhooks get 503; send the signal again to force')
    // The worker gets `timeoutMs` for running attempts, after HTTP drained; allow a little more overall.
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'drain timed out; exiting')
      logger.flush()
      process.exit(1)
    }, timeoutMs + 5000)
    timer.unref()
    gateway.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'error while stopping')
        logger.flush()
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
