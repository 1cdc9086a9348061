/**
 * Runs the real CLI binary (`node dist/cli/main.js …`, or `GHL_GATEWAY_ENTRY`) as a child process,
 * with a clean environment (PATH and HOME only, plus what the test gives) and a hard time limit.
 */
import { spawn } from 'node:child_process'
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
