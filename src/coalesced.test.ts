import { describe, expect, it } from 'vitest'
import { coalesced } from './coalesced.js'

/** A call the test finishes by hand. */
function controlledCalls() {
  const calls: { resolve: () => void; reject: (error: Error) => void }[] = []
  const fn = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ resolve, reject })
    })
  return { calls, fn }
}

describe('coalesced', () => {
  it('turns a burst into the call in flight and one more after it, which the burst waits for', async () => {
    const { calls, fn } = controlledCalls()
    const run = coalesced(fn)
    const first = run()
    const burst = [run(), run(), run()]
    expect(calls).toHaveLength(1)
    let burstDone = false
    void Promise.all(burst).then(() => {
      burstDone = true
    })
    calls[0]!.resolve()
    await first
    await new Promise((resolve) => setImmediate(resolve))
    // The burst asked after the first call started: it is answered by the follow-up, not by it.
    expect(calls).toHaveLength(2)
    expect(burstDone).toBe(false)
    calls[1]!.resolve()
    await Promise.all(burst)
    expect(calls).toHaveLength(2)
    // Idle again: the next call starts at once.
    void run()
    expect(calls).toHaveLength(3)
    calls[2]!.resolve()
  })

  it('a failing follow-up rejects the callers that asked for it, never an unhandled rejection', async () => {
    // The gateway announces new work with a coalesced NOTIFY; when PostgreSQL went down, the
    // follow-up's rejection had no handler and Node ended the process (a crash where a 503 was due).
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const { calls, fn } = controlledCalls()
      const run = coalesced(fn)
      const first = run()
      const second = run()
      const third = run()
      calls[0]!.resolve()
      await first
      await new Promise((resolve) => setImmediate(resolve))
      calls[1]!.reject(new Error('the database system is shutting down'))
      await expect(second).rejects.toThrow('the database system is shutting down')
      await expect(third).rejects.toThrow('the database system is shutting down')
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
