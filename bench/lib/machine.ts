import { readFileSync } from 'node:fs'

/**
 * Whole-machine CPU accounting from /proc/stat, to tell how much of the 2 cores something other than
 * the benchmark used during a run (a build, tests, an editor's type checker…).
 */
export interface CpuTotals {
  /** user + nice + system seconds, all CPUs (what processes are charged; no irq/softirq). */
  processSec: number
  /** Every column, all CPUs. */
  totalSec: number
}

const CLOCK_TICKS_PER_SECOND = 100

export function readCpuTotals(): CpuTotals {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0] = v
  return {
    processSec: (user + nice + system) / CLOCK_TICKS_PER_SECOND,
    totalSec: v.slice(0, 8).reduce((a, b) => a + b, 0) / CLOCK_TICKS_PER_SECOND,
  }
}

/** Cores busy (user + nice + system) over the next `ms` milliseconds. */
export async function busyCores(ms: number): Promise<number> {
  const a = readCpuTotals()
  await new Promise((r) => setTimeout(r, ms))
  const b = readCpuTotals()
  return (b.processSec - a.processSec) / (ms / 1000)
}

/**
 * Waits until the machine is quiet (< `threshold` cores busy over 1 s) or `maxWaitSec` has passed.
 * Returns the last reading.
 */
export async function waitForQuiet(threshold: number, maxWaitSec: number): Promise<number> {
  const deadline = Date.now() + maxWaitSec * 1000
  let busy = await busyCores(1000)
  while (busy >= threshold && Date.now() < deadline) busy = await busyCores(1000)
  return busy
}
