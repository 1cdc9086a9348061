/**
 * Runs the real CLI binary (`node dist/cli/main.js …`, or `GHL_GATEWAY_ENTRY`) as a child process,
 * with a clean environment (PATH and HOME only, plus what the test gives) and a hard time limit.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GATEWAY_ENTRY } from '../support/gateway-process.js'

export interface CliResult {
  /** Exit code; null when the run was killed at the time limit. */
  code: number | null
  stdout: string
  stderr: string
}

export interface RunCliOptions {
  cwd: string
  env?: Record<string, string>
  /** @default 20000 */
  timeoutMs?: number
}

export function runCli(args: readonly string[], options: RunCliOptions): Promise<CliResult> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? options.cwd,
    ...options.env,
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GATEWAY_ENTRY, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** A fresh working directory; `remove()` deletes it. */
export function tempDir(prefix = 'ghl-gateway-cli-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** `NAME=value` lines printed by `keys generate` / `keys env`, as an object. */
export function envLines(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(\S+)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  )
}

/** Parses every stdout line that is a JSON object. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

export interface RunningCli {
  stdout(): string
  stderr(): string
  /** Waits (bounded) until `pattern` appears on stdout (or stderr); resolves with that stream's text. */
  waitFor(pattern: RegExp, options?: { stream?: 'stdout' | 'stderr'; timeoutMs?: number }): Promise<string>
  /** Resolves when the process has exited and its output is read. */
  exited: Promise<CliResult>
  /** Sends `signal` (default SIGINT, Ctrl-C) and waits for the exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<CliResult>
}

const runningClis = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of runningClis) child.kill('SIGKILL')
})

/** Starts a long-running command (`tail`) in the background, with the same clean environment. */
export function startCli(args: readonly string[], options: RunCliOptions): RunningCli {
  return startNode([GATEWAY_ENTRY, ...args], options)
}

/** Starts `node <args>` in the background (a CLI command, an example app), with the same clean environment. */
export function startNode(args: readonly string[], options: RunCliOptions): RunningCli {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? options.cwd,
    ...options.env,
  }
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  runningClis.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => {
      runningClis.delete(child)
      resolve({ code, stdout, stderr })
    })
  })
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitFor(pattern, { stream = 'stdout', timeoutMs = 10_000 } = {}) {
      const read = () => (stream === 'stdout' ? stdout : stderr)
      const deadline = Date.now() + timeoutMs
      while (!pattern.test(read())) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(
            `${args.join(' ')}: no ${pattern} on ${stream} ${child.exitCode !== null ? `(exited ${child.exitCode})` : `within ${timeoutMs} ms`}\nstdout:\n${stdout}\nstderr:\n${stderr}`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return read()
    },
    async stop(signal = 'SIGINT', timeoutMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      const result = await exited
      clearTimeout(timer)
      return result
    },
  }
}
