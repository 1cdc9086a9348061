import { readdirSync, readFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'

/**
 * Whole-machine CPU accounting from /proc/stat, to tell how much of the 2 cores something other than
 * the benchmark used during a run (a build, tests, an editor's type checker…).
 */
export interface CpuTotals {
  /** user + nice + system seconds, all CPUs (what processes are charged; no irq/softirq). */
  processSec: number
  /** Every column, all CPUs. */
  totalSec: number
  /** Idle while some task waited for disk I/O (fsync!), all CPUs. */
  iowaitSec: number
  /** Time the hypervisor ran something else while we wanted the CPU (a shared host). */
  stealSec: number
  /** Interrupt handling (loopback TCP lands here), all CPUs. */
  softirqSec: number
}

const CLOCK_TICKS_PER_SECOND = 100

export function readCpuTotals(): CpuTotals {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
  const v = line.trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, _idle = 0, iowait = 0, _irq = 0, softirq = 0, steal = 0] = v
  return {
    processSec: (user + nice + system) / CLOCK_TICKS_PER_SECOND,
    totalSec: v.slice(0, 8).reduce((a, b) => a + b, 0) / CLOCK_TICKS_PER_SECOND,
    iowaitSec: iowait / CLOCK_TICKS_PER_SECOND,
    stealSec: steal / CLOCK_TICKS_PER_SECOND,
    softirqSec: softirq / CLOCK_TICKS_PER_SECOND,
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

interface ProcStat {
  ppid: number
  /** utime + stime + cutime + cstime, seconds: own CPU plus that of reaped children. */
  cpuSec: number
}

function readProcStats(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(Number(entry), {
        ppid: Number(f[1]),
        cpuSec: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLOCK_TICKS_PER_SECOND,
      })
    } catch {
      // exited between readdir and read
    }
  }
  return out
}

/**
 * CPU seconds used by a process and everything below it (live descendants, plus children that
 * exited and were reaped, through `cutime`/`cstime`). With the benchmark process as root this is
 * "everything the benchmark started": servers, wrk, its own PostgreSQL cluster — but not another
 * engineer's test database, which a search by command name would wrongly count.
 */
export function processTreeCpuSeconds(root = process.pid): number {
  const stats = readProcStats()
  const children = new Map<number, number[]>()
  for (const [pid, s] of stats) {
    const list = children.get(s.ppid)
    if (list) list.push(pid)
    else children.set(s.ppid, [pid])
  }
  let total = 0
  const stack = [root]
  while (stack.length > 0) {
    const pid = stack.pop()!
    total += stats.get(pid)?.cpuSec ?? 0
    for (const child of children.get(pid) ?? []) stack.push(child)
  }
  return total
}

/** What one measured window cost the machine. */
export interface CpuWindowResult {
  wallSec: number
  /** Cores busy over the window, all processes (user + nice + system). */
  machineCores: number
  /** Cores used by this process tree (the benchmark, its servers, load generators and database). */
  ourCores: number
  /** Cores used by everything else: ≥ BUSY_THRESHOLD means the numbers are suspect. */
  otherCores: number
  /** Cores idle waiting for disk I/O: high while commits wait for fsync. */
  iowaitCores: number
  /** Cores the hypervisor gave to someone else (another VM on the host). */
  stealCores: number
  softirqCores: number
}

/** Other processes using more than this many cores make a run suspect ("noisy"). */
export const BUSY_THRESHOLD = 0.2

/** Starts measuring now; `stop()` says how busy the machine was and how much of it was us. */
export function cpuWindow(root = process.pid): { stop(): CpuWindowResult } {
  const machineBefore = readCpuTotals()
  const oursBefore = processTreeCpuSeconds(root)
  const started = performance.now()
  return {
    stop() {
      const machineAfter = readCpuTotals()
      const oursAfter = processTreeCpuSeconds(root)
      const wallSec = (performance.now() - started) / 1000
      const machine = (machineAfter.processSec - machineBefore.processSec) / wallSec
      const ours = (oursAfter - oursBefore) / wallSec
      const per = (a: number, b: number) => (b - a) / wallSec
      return {
        wallSec,
        machineCores: machine,
        ourCores: ours,
        otherCores: Math.max(0, machine - ours),
        iowaitCores: per(machineBefore.iowaitSec, machineAfter.iowaitSec),
        stealCores: per(machineBefore.stealSec, machineAfter.stealSec),
        softirqCores: per(machineBefore.softirqSec, machineAfter.softirqSec),
      }
    },
  }
}

/**
 * `waitForQuiet` with a message: waits up to `maxWaitSec` for the machine to calm down and says so
 * when it does not. Returns the last reading (cores busy).
 */
export async function quietOrWarn(label: string, maxWaitSec: number): Promise<number | undefined> {
  if (maxWaitSec <= 0) return undefined
  const busy = await waitForQuiet(BUSY_THRESHOLD, maxWaitSec)
  if (busy >= BUSY_THRESHOLD) {
    console.error(
      `!!! ${label}: other processes keep ${busy.toFixed(2)} cores busy after ${maxWaitSec} s; measuring anyway (noisy)`,
    )
  }
  return busy
}

/** Machine facts every results file records. */
export function machineFacts() {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    loadavg: loadavg(),
  }
}
