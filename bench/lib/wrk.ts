import { spawn, spawnSync } from 'node:child_process'
import { wrkScript } from './paths.js'

export type SignatureHeaders = 'ed25519' | 'rsa' | 'both' | 'none'

export interface WrkOptions {
  url: string
  requestsFile: string
  signature: SignatureHeaders
  /** Index of the first request to replay (skip what the warm-up already sent). */
  start: number
  threads: number
  connections: number
  durationSec: number
  /** wrk's per-request timeout. @default 5 */
  timeoutSec?: number
}

/** What replay.lua's done() prints, plus what we measure around the wrk process. */
export interface WrkResult {
  durationUs: number
  /** Completed requests (any status). */
  requests: number
  bytes: number
  /** request() calls: requests sent, including those in flight when wrk stopped. */
  issued: number
  /** How often a thread ran past the end of the requests file (>0 means repeated bodies). */
  wrapped: number
  /** Requests loaded by each thread. */
  loaded: number
  errors: { connect: number; read: number; write: number; status: number; timeout: number }
  latencyUs: { min: number; mean: number; stdev: number; max: number } & Record<
    'p50' | 'p75' | 'p90' | 'p99' | 'p999',
    number
  >
  requestsPerSec: number
  /** CPU seconds the wrk process used during the load phase (os.clock() in replay.lua). */
  wrkCpuSec: number
  /** CPU seconds of the whole wrk process, including loading the requests file. */
  wrkTotalCpuSec: number
  stdout: string
}

export function wrkVersion(): string | undefined {
  const res = spawnSync('wrk', ['-v'], { encoding: 'utf8' })
  if (res.error) return undefined
  return `${res.stdout}${res.stderr}`.split('\n')[0]?.trim()
}

export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${o.threads}`,
    `-c${o.connections}`,
    `-d${o.durationSec}s`,
    `--timeout`,
    `${o.timeoutSec ?? 5}s`,
    '--latency',
    '-s',
    wrkScript,
    o.url,
  ]
  const child = spawn('wrk', args, {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      BENCH_REQUESTS_FILE: o.requestsFile,
      BENCH_SIG: o.signature,
      BENCH_PATH: new URL(o.url).pathname,
      BENCH_START: String(o.start),
      BENCH_THREADS: String(o.threads),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8')
  })
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8')
  })
  // Hard bound: wrk stops itself after -d, this only catches a hung load generator.
  const killer = setTimeout(() => child.kill('SIGKILL'), (o.durationSec + 120) * 1000)

  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '))
      if (code !== 0 || !line) {
        reject(new Error(`wrk failed (code ${code}, signal ${signal}):\n${stderr}\n${stdout}`))
        return
      }
      const parsed = JSON.parse(line.slice('BENCH_JSON '.length)) as Omit<
        WrkResult,
        'requestsPerSec' | 'stdout'
      >
      resolve({
        ...parsed,
        requestsPerSec: parsed.requests / (parsed.durationUs / 1e6),
        stdout,
      })
    })
  })
}
