import { type ChildProcess, fork } from 'node:child_process'
import { join } from 'node:path'
import { ask } from './ipc.js'
import type { OpenLoopResult } from './open-loop.js'
import { benchDir, repoDir } from './paths.js'
import { freePort, type ServerProcess, startServer, waitUntilReady } from './server-process.js'

/**
 * The sender and the sink of bench/delivery-latency.ts, each in a process of its own
 * (lib/sender-child.ts, lib/sink-child.ts, run through tsx): on two cores a sender and a sink in the
 * bench process share one event loop, so a slow sink delays the sender's schedule and the CPU of
 * each cannot be told apart. Both children stamp times with performance.timeOrigin + now(); their
 * clock offsets against the bench are measured over IPC (lib/ipc.ts clockOffset).
 */

const TSX = ['--import', 'tsx']

/** What the sender's open loop returns, without the per-request arrays. */
export type OpenLoopSummary = Omit<
  OpenLoopResult,
  'scheduledAt' | 'sentAt' | 'answeredAt' | 'status' | 'bodies'
>

/** Per request i: epoch ms in the sender's clock, HTTP status (0: no answer), the acked event's id. */
export interface SenderRecords {
  scheduledAt: Float64Array
  sentAt: Float64Array
  answeredAt: Float64Array
  status: Uint16Array
  /** The id the destination request carries in `webhook-id`; null when not acked. */
  keys: (string | null)[]
}

export interface SenderChild {
  child: ChildProcess
  pid: number
  /**
   * Runs the open loop over requests `from … from + count − 1`; resolves when every one was answered
   * or timed out. `dump()` returns this run's records.
   */
  run(from: number, count: number): Promise<OpenLoopSummary>
  dump(): Promise<SenderRecords>
  stop(): Promise<void>
}

export interface SenderChildOptions {
  url: string
  rate: number
  /** Requests the runs use in all (warm-up included). */
  count: number
  /** Keep-alive connections of the sender's agent. */
  sockets: number
  /** Signed requests (lib/requests-file.ts); the first `count` are sent. */
  requestsFile: string
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Forks the sender and has it read its requests (so that reading them is not part of the run). */
export async function startSenderChild(o: SenderChildOptions): Promise<SenderChild> {
  const child = fork(join(benchDir, 'lib', 'sender-child.ts'), [], {
    execArgv: TSX,
    cwd: repoDir,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_ENV: 'production',
      BENCH_URL: o.url,
      BENCH_RATE: String(o.rate),
      BENCH_COUNT: String(o.count),
      BENCH_SOCKETS: String(o.sockets),
      BENCH_REQUESTS_FILE: o.requestsFile,
    },
  })
  if (child.pid === undefined) throw new Error('could not fork the sender')
  const sender: SenderChild = {
    child,
    pid: child.pid,
    // Bounded: every request ends within the open loop's 10 s timeout after its scheduled time.
    run: async (from, count) =>
      (
        await ask<{ result: OpenLoopSummary }>(
          child,
          { type: 'run', from, count },
          'run',
          (count / o.rate) * 1000 + 120_000,
        )
      ).result,
    dump: async () =>
      (await ask<{ records: SenderRecords }>(child, { type: 'dump' }, 'dump', 120_000)).records,
    stop: () => stopChild(child),
  }
  try {
    await ask(child, { type: 'load' }, 'load', 300_000)
  } catch (error) {
    await sender.stop()
    throw error
  }
  return sender
}

export interface SinkChild extends ServerProcess {
  /** The URL to configure as the destination. */
  url: string
  /** Distinct event ids arrived so far. */
  count(): Promise<number>
  /** First arrival per event id (the sink's clock), and repeated arrivals of an id. */
  dump(): Promise<{ arrivals: Map<string, number>; duplicates: number }>
}

/** Starts the sink process on a free port and waits until it answers. */
export async function startSinkChild(): Promise<SinkChild> {
  const port = await freePort()
  const server = startServer({
    command: process.execPath,
    args: [...TSX, join(benchDir, 'lib', 'sink-child.ts')],
    env: { NODE_ENV: 'production', PORT: String(port) },
    cwd: repoDir,
    port,
    ipc: true,
  })
  try {
    await waitUntilReady(server, undefined, 30_000)
  } catch (error) {
    await server.stop()
    throw error
  }
  return Object.assign(server, {
    url: `${server.baseUrl}/hook`,
    count: async () => (await ask<{ count: number }>(server.child, { type: 'count' }, 'count', 10_000)).count,
    dump: async () => {
      const m = await ask<{ starts: (string | number)[]; duplicates: number }>(
        server.child,
        { type: 'dump' },
        'dump',
        120_000,
      )
      const arrivals = new Map<string, number>()
      for (let i = 0; i + 1 < m.starts.length; i += 2)
        arrivals.set(m.starts[i] as string, m.starts[i + 1] as number)
      return { arrivals, duplicates: m.duplicates }
    },
  })
}
