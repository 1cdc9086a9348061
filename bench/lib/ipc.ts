import type { ChildProcess } from 'node:child_process'

/**
 * The IPC protocol of bench/servers/handler-gateway.mjs and forward-floor.mjs: ask for the
 * child's clock (to check that cross-process timestamps agree) and for its handler start times.
 * The delivery-latency children (lib/sender-child.ts, lib/sink-child.ts) speak it too.
 */

/** Sends `message` and resolves with the first answer of this `type` (and the same `id`, if any). */
export function ask<T>(child: ChildProcess, message: object, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage)
      reject(new Error(`no '${type}' answer over IPC within ${timeoutMs} ms`))
    }, timeoutMs)
    const onMessage = (m: { type?: string; id?: number }) => {
      if (m?.type !== type) return
      if ('id' in message && m.id !== (message as { id: number }).id) return
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(m as T)
    }
    child.on('message', onMessage)
    child.send(message)
  })
}

export interface ClockOffset {
  /** Child clock − our clock, ms (subtract from the child's timestamps). */
  offsetMs: number
  /** Half the round trip of the best sample: the offset is known to ± this. */
  uncertaintyMs: number
}

/**
 * NTP-style: 20 round trips over IPC, keep the one with the shortest round trip and assume the
 * child read its clock half way. Both processes use performance.timeOrigin + performance.now().
 */
export async function clockOffset(child: ChildProcess, samples = 20): Promise<ClockOffset> {
  let best: ClockOffset | undefined
  for (let id = 0; id < samples; id++) {
    const t0 = performance.timeOrigin + performance.now()
    const { at } = await ask<{ at: number }>(child, { type: 'clock', id }, 'clock', 5000)
    const t2 = performance.timeOrigin + performance.now()
    const sample = { offsetMs: at - (t0 + t2) / 2, uncertaintyMs: (t2 - t0) / 2 }
    if (!best || sample.uncertaintyMs < best.uncertaintyMs) best = sample
  }
  return best!
}

/** Handler runs so far: how many, and (when recording) `Map<key, start time>`. */
export async function handlerStarts(
  child: ChildProcess,
): Promise<{ count: number; starts: Map<string, number> }> {
  const { count, starts } = await ask<{ count: number; starts: (string | number)[] }>(
    child,
    { type: 'dump' },
    'dump',
    30_000,
  )
  const map = new Map<string, number>()
  for (let i = 0; i + 1 < starts.length; i += 2) {
    const key = starts[i] as string
    if (!map.has(key)) map.set(key, starts[i + 1] as number)
  }
  return { count, starts: map }
}

/** Only the count (cheap while polling for completion). */
export async function handlerCount(child: ChildProcess): Promise<number> {
  return (await ask<{ count: number }>(child, { type: 'count' }, 'count', 10_000)).count
}
