/**
 * The gateway as a real child process, for tests that need what `inject()` cannot give: a SIGKILL
 * in the middle of a commit, a full disk, a database that goes away, several processes on one
 * database.
 *
 * ```ts
 * const keys = createTestKeyPair()
 * const gateway = await startGatewayProcess({ databaseUrl: 'sqlite:/tmp/x.db', keyPair: keys })
 * try {
 *   const response = await postWebhook(gateway.url, signedWebhook(keys.privateKey, { webhookId: 'wh-1' }))
 *   // response.status === 200, response.body.status === 'accepted'
 * } finally {
 *   await gateway.stop()           // SIGTERM, then SIGKILL if it does not exit in time
 * }
 * ```
 *
 * Every process started here is remembered until it exits: `stopAllGatewayProcesses()` (for an
 * `afterAll`/`afterEach`) ends the survivors, and a `process.on('exit')` hook SIGKILLs anything left
 * when the test worker itself exits, so a failing test cannot leak a server.
 *
 * The binary is `dist/cli/main.js` (`npm test` builds it first). `GHL_GATEWAY_ENTRY=<path>` points
 * every test at another build of the same CLI, e.g. a deliberately broken copy used to prove that a
 * test catches the bug it is meant to catch.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The CLI every test runs, unless `GHL_GATEWAY_ENTRY` names another. */
export const GATEWAY_ENTRY =
  process.env.GHL_GATEWAY_ENTRY ?? fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

/** At most this many log lines are kept per process (the oldest are dropped). */
const MAX_LOG_LINES = 20_000

// ---------------------------------------------------------------------------------------------
// Keys and signed requests

export interface TestKeyPair {
  privateKey: KeyObject
  publicKey: KeyObject
  /** The public key as base64 SPKI DER: the format `GHL_ED25519_PUBLIC_KEYS` takes. */
  publicKeyBase64: string
}

/** A fresh Ed25519 key pair standing in for GHL's signing key. */
export function createTestKeyPair(): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  return {
    privateKey,
    publicKey,
    publicKeyBase64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  }
}

export interface SignedWebhook {
  headers: Record<string, string>
  /** The exact bytes that were signed; resend these (not a re-serialisation) to get the same event. */
  body: Buffer
}

/**
 * A GHL-style webhook: `body` (an object, serialised once, or bytes/text taken as they are) with an
 * `X-GHL-Signature` Ed25519 signature over exactly those bytes.
 */
export function signedWebhook(privateKey: KeyObject, body: unknown): SignedWebhook {
  const bytes = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
  return {
    headers: {
      'content-type': 'application/json',
      'x-ghl-signature': sign(null, bytes, privateKey).toString('base64'),
    },
    body: bytes,
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP client

export interface HttpAnswer {
  status: number
  headers: http.IncomingHttpHeaders
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  body: unknown
  text: string
}

export interface RequestOptions {
  /** Reuse connections (keep-alive) through this agent. @default a new connection per request */
  agent?: http.Agent
  /** The whole exchange must finish within this. @default 10000 */
  timeoutMs?: number
}

/**
 * One HTTP request with `node:http`. Resolves only once the whole answer has been read; rejects on
 * any transport failure (refused, reset, timeout), so a resolved answer is one the server really
 * finished sending.
 */
export function httpRequest(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer } & RequestOptions = {},
): Promise<HttpAnswer> {
  const timeoutMs = init.timeoutMs ?? 10_000
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: init.method ?? 'GET',
      headers: init.body ? { ...init.headers, 'content-length': String(init.body.length) } : init.headers,
      agent: init.agent ?? false,
      timeout: timeoutMs,
    })
    const deadline = setTimeout(
      () => request.destroy(new Error(`no complete answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const fail = (error: Error) => {
      clearTimeout(deadline)
      reject(error)
    }
    request.on('timeout', () => request.destroy(new Error(`socket idle for ${timeoutMs} ms`)))
    request.on('error', fail)
    request.on('response', (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', fail)
      response.on('aborted', () => fail(new Error('the answer was cut off')))
      response.on('end', () => {
        clearTimeout(deadline)
        if (!response.complete) return reject(new Error('the answer was cut off'))
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          body = undefined
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text })
      })
    })
    request.end(init.body)
  })
}

/** POSTs a signed webhook to `<baseUrl>/webhooks/ghl` (or `path`). */
export function postWebhook(
  baseUrl: string,
  webhook: SignedWebhook,
  options: RequestOptions & { path?: string } = {},
): Promise<HttpAnswer> {
  return httpRequest(`${baseUrl}${options.path ?? '/webhooks/ghl'}`, {
    method: 'POST',
    headers: webhook.headers,
    body: webhook.body,
    ...options,
  })
}

// ---------------------------------------------------------------------------------------------
// The process

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface GatewayProcess {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  pid: number
  /** Resolves when the process has exited and its output is read (never rejects). */
  exited: Promise<ExitInfo>
  /** True until `exited` resolved. */
  isRunning(): boolean
  /** Sends a signal (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>
  /**
   * SIGTERM (the gateway drains and exits 0), then SIGKILL if it has not exited within
   * `timeoutMs`. Idempotent; safe to call on a process that already exited.
   */
  stop(timeoutMs?: number): Promise<ExitInfo>
  /** Every stdout and stderr line so far, in arrival order. */
  logs(): string[]
  /** The lines that are JSON objects (pino), parsed. */
  jsonLogs(): Record<string, unknown>[]
}

export interface StartGatewayOptions {
  /** `sqlite:<path>` or `postgres://…` */
  databaseUrl: string
  /** Trusted for `X-GHL-Signature` (sets `GHL_ED25519_PUBLIC_KEYS`). */
  keyPair?: TestKeyPair
  /** Extra environment; wins over everything set here. Nothing else is inherited but PATH and HOME. */
  env?: Record<string, string>
  /** @default a free port on 127.0.0.1 */
  port?: number
  /** @default warn */
  logLevel?: string
  /**
   * How long to wait for `/readyz` to answer 200. Generous: a process that exits is noticed at once,
   * and on a busy 2-core machine (load ~15) a healthy start took 6–12 s. @default 60000
   */
  readyTimeoutMs?: number
  /** @default GATEWAY_ENTRY */
  entry?: string
  /**
   * Working directory (where `ghl-gateway.config.*` is looked for). @default a fresh empty
   * directory of its own, removed when the process exits
   */
  cwd?: string
}

const READY_TIMEOUT_MS = 60_000

const running = new Set<ChildProcess>()

process.once('exit', () => {
  // Last resort: the worker is going away; nothing may outlive it.
  for (const child of running) child.kill('SIGKILL')
})

/** Stops every gateway process this worker started that is still running (for `afterAll`). */
export async function stopAllGatewayProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve()
          child.once('exit', () => resolve())
          child.kill('SIGKILL')
        }),
    ),
  )
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * Spawns `node dist/cli/main.js serve` on 127.0.0.1 and resolves once `GET /readyz` answers 200.
 * Rejects (with the process's output in the message) if it exits first or is not ready in time; a
 * port taken between choosing and binding it is retried on another port.
 */
export async function startGatewayProcess(options: StartGatewayOptions): Promise<GatewayProcess> {
  const entry = options.entry ?? GATEWAY_ENTRY
  if (!existsSync(entry)) {
    throw new Error(
      `${entry} does not exist: build first (npx tsc -p tsconfig.build.json; node scripts/copy-assets.mjs)`,
    )
  }
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort())
    try {
      return await startOnce(entry, port, options)
    } catch (error) {
      const portTaken = /is already in use/.test((error as Error).message)
      if (!portTaken || options.port !== undefined || attempt >= 3) throw error
    }
  }
}

async function startOnce(entry: string, port: number, options: StartGatewayOptions): Promise<GatewayProcess> {
  // A directory of its own, so no ghl-gateway.config.* lying around is picked up.
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'ghl-gateway-cwd-'))
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? cwd,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: options.logLevel ?? 'warn',
    ...(options.keyPair ? { GHL_ED25519_PUBLIC_KEYS: options.keyPair.publicKeyBase64 } : {}),
    ...options.env,
  }
  const child = spawn(process.execPath, [entry, 'serve'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)

  const lines: string[] = []
  const collect = (stream: NodeJS.ReadableStream) =>
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      lines.push(line)
      if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES)
    })
  collect(child.stdout!)
  collect(child.stderr!)

  let done = false
  const exited = new Promise<ExitInfo>((resolve) => {
    // 'close' rather than 'exit': by then every line the process wrote has been read.
    child.once('close', (code, signal) => {
      done = true
      running.delete(child)
      if (options.cwd === undefined) rmSync(cwd, { recursive: true, force: true })
      resolve({ code, signal })
    })
    child.once('error', () => {
      // spawn failed (no 'close' may follow if the process never started)
      if (child.pid === undefined) {
        done = true
        running.delete(child)
        resolve({ code: null, signal: null })
      }
    })
  })

  const url = `http://127.0.0.1:${port}`
  const tail = () => lines.slice(-30).join('\n')
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!done) child.kill(signal)
    return exited
  }
  let stopping: Promise<ExitInfo> | undefined
  const gateway: GatewayProcess = {
    url,
    port,
    pid: child.pid ?? -1,
    exited,
    isRunning: () => !done,
    kill,
    stop(timeoutMs = 15_000) {
      stopping ??= (async () => {
        if (done) return exited
        child.kill('SIGTERM')
        let timer: NodeJS.Timeout | undefined
        const forced = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs)
        })
        const first = await Promise.race([exited, forced])
        clearTimeout(timer)
        if (first === 'timeout') return kill('SIGKILL')
        return first
      })()
      return stopping
    },
    logs: () => [...lines],
    jsonLogs: () =>
      lines.flatMap((line) => {
        if (!line.startsWith('{')) return []
        try {
          return [JSON.parse(line) as Record<string, unknown>]
        } catch {
          return []
        }
      }),
  }

  // Ready: /readyz answers 200. Bounded by a deadline and by the process exiting.
  const deadline = Date.now() + (options.readyTimeoutMs ?? READY_TIMEOUT_MS)
  let lastProblem = 'no answer yet'
  for (let attempt = 0; attempt < 10_000; attempt++) {
    if (done) {
      const info = await exited
      throw new Error(
        `the gateway exited before it was ready (code ${info.code}, signal ${info.signal}):\n${tail()}`,
      )
    }
    if (Date.now() > deadline) {
      await kill('SIGKILL')
      throw new Error(
        `the gateway was not ready within ${options.readyTimeoutMs ?? READY_TIMEOUT_MS} ms (${lastProblem}):\n${tail()}`,
      )
    }
    try {
      const answer = await httpRequest(`${url}/readyz`, { timeoutMs: 2000 })
      if (answer.status === 200) return gateway
      lastProblem = `/readyz answered ${answer.status} ${answer.text}`
    } catch (error) {
      lastProblem = (error as Error).message
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await kill('SIGKILL')
  throw new Error(`the gateway never became ready (${lastProblem})`)
}
