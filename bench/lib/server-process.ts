import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** A server under test, running as a child process on 127.0.0.1. */
export interface ServerProcess {
  child: ChildProcess
  pid: number
  port: number
  baseUrl: string
  /** Last ~8 KB of stderr (and of stdout when it is not sent to a file), for error reports. */
  output(): string
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves when the process has exited. Idempotent. */
  stop(graceMs?: number): Promise<void>
}

export interface StartOptions {
  command: string
  args: string[]
  env: Record<string, string>
  cwd?: string
  port: number
  /** Append stdout here instead of discarding it (real deployments write their logs somewhere). */
  stdoutFile?: string
  /** Keep stdout in output() (baselines print nothing, so this only matters for debugging). */
  captureStdout?: boolean
  /** Open an IPC channel (`child.send` / `process.send`), e.g. to collect a handler's timestamps. */
  ipc?: boolean
}

/** A free TCP port on 127.0.0.1 (bound, read, released; the tiny race is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export function startServer(o: StartOptions): ServerProcess {
  const stdoutFd = o.stdoutFile ? openSync(o.stdoutFile, 'a') : undefined
  const child = spawn(o.command, o.args, {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...o.env },
    stdio: [
      'ignore',
      stdoutFd ?? (o.captureStdout ? 'pipe' : 'ignore'),
      'pipe',
      ...(o.ipc ? (['ipc'] as const) : []),
    ],
  })
  if (stdoutFd !== undefined) closeSync(stdoutFd)
  if (child.pid === undefined) throw new Error(`could not start ${o.command} ${o.args.join(' ')}`)

  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192)
  }
  child.stderr?.on('data', keep)
  child.stdout?.on('data', keep)

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal }
      resolve()
    })
  })

  let stopping: Promise<void> | undefined
  return {
    child,
    pid: child.pid,
    port: o.port,
    baseUrl: `http://127.0.0.1:${o.port}`,
    output: () => tail,
    exited: () => exitInfo,
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (exitInfo) return
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        await exitPromise
        clearTimeout(timer)
      })()
      return stopping
    },
  }
}

/**
 * Polls until the server answers. `readyPath` set: until GET readyPath is 200 (the gateway's
 * /readyz); unset: until any HTTP response arrives (baselines answer every path).
 */
export async function waitUntilReady(
  server: ServerProcess,
  readyPath: string | undefined,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    const exit = server.exited()
    if (exit) {
      throw new Error(
        `server exited before it was ready (code ${exit.code}, signal ${exit.signal}):\n${server.output()}`,
      )
    }
    try {
      const res = await fetch(server.baseUrl + (readyPath ?? '/'), { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (!readyPath || res.status === 200) return
      last = `GET ${readyPath} → ${res.status}`
    } catch (err) {
      last = (err as Error).message
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`server not ready after ${timeoutMs} ms (${last}):\n${server.output()}`)
}

/** Peak resident set size (VmHWM) in bytes, from /proc; undefined when unavailable. */
export function peakRssBytes(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

const CLOCK_TICKS_PER_SECOND = 100 // USER_HZ on Linux x86-64

/** CPU seconds (user + system) from a /proc `stat` file, or undefined once it is gone. */
function statCpuSeconds(path: string): number | undefined {
  try {
    const stat = readFileSync(path, 'utf8')
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** CPU seconds (user + system) a live process has used so far, all its threads. */
export function cpuSeconds(pid: number): number | undefined {
  return statCpuSeconds(`/proc/${pid}/stat`)
}

/** CPU seconds of a process's main thread alone (for Node: the event loop). */
export function mainThreadCpuSeconds(pid: number): number | undefined {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`)
}

/**
 * CPU seconds used so far by all live processes with this command name (e.g. `postgres`: the
 * postmaster and its backends). Exited backends are not counted, so take both readings while the
 * client's connections are open.
 */
export function cpuSecondsByName(comm: string): number {
  let total = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      if (name !== comm) continue
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
    } catch {
      // the process exited between readdir and read
    }
  }
  return total
}
