/**
 * Calls `fn` now, or — if a call is in flight — once more after it: bursts become one or two calls.
 * A caller gets the outcome of a call that started after it asked (the one it started, or the
 * follow-up), so a failed follow-up rejects promises its callers hold. (It used to be started with
 * nobody holding its promise: when PostgreSQL went down, the rejected NOTIFY was unhandled and
 * Node ended the gateway.)
 */
export function coalesced(fn: () => Promise<void>): () => Promise<void> {
  let inFlight: Promise<void> | undefined
  let followUp: Promise<void> | undefined
  const startFollowUp = (): Promise<void> => {
    followUp = undefined
    return run()
  }
  const run = (): Promise<void> => {
    if (!inFlight) {
      inFlight = fn().finally(() => {
        inFlight = undefined
      })
      return inFlight
    }
    followUp ??= inFlight.then(startFollowUp, startFollowUp)
    return followUp
  }
  return run
}
