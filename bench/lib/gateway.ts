import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchKeys } from './keys.js'
import { gatewayEntry, repoDir, serversDir } from './paths.js'
import type { BenchPostgres } from './postgres.js'
import { freePort, type ServerProcess, startServer, waitUntilReady } from './server-process.js'

/**
 * Gateway processes for the end-to-end, backlog and scale-out benchmarks: the CLI (`serve`, with
 * destinations from a config file) or library mode (bench/servers/handler-gateway.mjs, one no-op
 * handler), each in its own temp working dir on 127.0.0.1 and a random port.
 */

export type StoreKind = 'sqlite' | 'postgres'

export interface BenchDatabase {
  url: string
  drop(): Promise<void>
}

/** A fresh, empty database: a SQLite file in a temp dir, or a new database in the bench cluster. */
export async function freshDatabase(
  kind: StoreKind,
  postgres: () => Promise<BenchPostgres>,
): Promise<BenchDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-bench-db-'))
    return {
      url: `sqlite:${join(dir, 'gw.db')}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    }
  }
  const pg = await postgres()
  const name = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  const url = await pg.createDatabase(name)
  return { url, drop: () => pg.dropDatabase(name).catch(() => {}) }
}

/** Whether the built gateway exists (both modes run dist/). */
export function gatewayBuildProblem(): string | undefined {
  return existsSync(gatewayEntry) && existsSync(join(repoDir, 'dist', 'index.js'))
    ? undefined
    : `${gatewayEntry} does not exist yet; build the gateway with \`npm run build\``
}

export interface GatewayProcessOptions {
  /** `cli`: `node dist/cli/main.js serve`; `handler`: library mode with one no-op handler. */
  mode: 'cli' | 'handler'
  databaseUrl: string
  keys: BenchKeys
  /** Destinations etc. written to ghl-gateway.config.json in the process's working dir. */
  config?: Record<string, unknown>
  /** Extra env on top of the defaults (ROLE, BENCH_RECORD, BENCH_HANDLER_ID, …). */
  env?: Record<string, string>
  /** Gateway stdout (pino logs) goes here. @default /dev/null */
  logFile?: string
  /** Open an IPC channel (needed for the handler's timestamps). @default true */
  ipc?: boolean
  /** How long to wait for GET /readyz. @default 60000 */
  readyTimeoutMs?: number
  /** Return at once after spawning (call `ready()` yourself). @default true: wait for /readyz */
  waitReady?: boolean
}

export interface GatewayProcess extends ServerProcess {
  /** Resolves when GET /readyz answers 200 (rejects after the ready timeout or if it exits). */
  ready(): Promise<void>
  /** Stops the process (SIGTERM, SIGKILL after 10 s) and removes its working dir. */
  close(): Promise<void>
}

export async function startGatewayProcess(o: GatewayProcessOptions): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-bench-gw-'))
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: o.databaseUrl,
    GHL_ED25519_PUBLIC_KEYS: o.keys.ed25519.publicSpkiB64,
    LOG_LEVEL: 'info',
  }
  if (o.config) {
    const file = join(dir, 'ghl-gateway.config.json')
    writeFileSync(file, JSON.stringify(o.config, null, 2))
    env.GATEWAY_CONFIG = file
    env.EGRESS_ALLOW = '127.0.0.1'
  }
  const port = await freePort()
  env.PORT = String(port)
  Object.assign(env, o.env)
  const server = startServer({
    command: process.execPath,
    args: o.mode === 'cli' ? [gatewayEntry, 'serve'] : [join(serversDir, 'handler-gateway.mjs')],
    env,
    cwd: dir,
    port,
    stdoutFile: o.logFile ?? '/dev/null',
    ipc: o.ipc ?? true,
  })
  const close = async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
  const ready = () => waitUntilReady(server, '/readyz', o.readyTimeoutMs ?? 60_000)
  const gateway = Object.assign(server, { close, ready })
  if (o.waitReady === false) return gateway
  try {
    await ready()
  } catch (error) {
    await close()
    throw error
  }
  return gateway
}
