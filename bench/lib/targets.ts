import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchKeys } from './keys.js'
import { gatewayEntry, serversDir } from './paths.js'
import type { BenchPostgres } from './postgres.js'
import type { SignatureHeaders } from './wrk.js'

/** Everything one measured run of one target needs to start its server. */
export interface PreparedTarget {
  command: string
  args: string[]
  env: Record<string, string>
  cwd?: string
  stdoutFile?: string
  /** CPU seconds used so far by the database server, when the target has its own (PostgreSQL). */
  databaseCpuSeconds?(): number
  /** Called after the server has stopped (temp dirs, databases). */
  cleanup(): Promise<void>
}

export interface TargetContext {
  keys: BenchKeys
  port: number
  run: number
  /** Started lazily, only when a gateway-pg run needs it. */
  postgres(): Promise<BenchPostgres>
  /** `--log-file`: where gateway stdout (its pino logs) goes; /dev/null when unset. */
  logFile?: string
  /** `--gateway-env KEY=VALUE`, passed to gateway targets on top of the defaults. */
  gatewayEnv: Record<string, string>
}

export interface Target {
  name: TargetName
  description: string
  /** Signature header(s) wrk sends. */
  signature: SignatureHeaders
  /** Webhook path the requests are posted to. */
  path: string
  /** GET path that answers 200 when ready; undefined: any HTTP answer on `path` means ready. */
  readyPath?: string
  /** Whether a wrong signature must be rejected with 401 (false only for `bare`). */
  verifies: boolean
  /** Whether it remembers webhookIds, so a repeated body takes a different (duplicate) path. */
  dedupes: boolean
  /** Why the target cannot run on this machine right now, if it cannot. */
  unavailable?(): string | undefined
  prepare(ctx: TargetContext): Promise<PreparedTarget>
}

export const TARGET_NAMES = [
  'bare',
  'floor',
  'floor-sodium',
  'durable-floor',
  'store-floor',
  'guide',
  'gateway-sqlite',
  'gateway-pg',
] as const
export type TargetName = (typeof TARGET_NAMES)[number]

const noCleanup = async () => {}

// Same for every target: production mode, nothing inherited from the caller's shell.
const baseEnv = (port: number) => ({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port) })

function baseline(
  name: TargetName,
  script: string,
  description: string,
  signature: SignatureHeaders,
  verifies: boolean,
  env: (keys: BenchKeys) => Record<string, string>,
): Target {
  return {
    name,
    description,
    signature,
    path: '/webhook',
    verifies,
    dedupes: name === 'guide',
    async prepare(ctx) {
      return {
        command: process.execPath,
        args: [join(serversDir, script)],
        env: { ...baseEnv(ctx.port), ...env(ctx.keys) },
        cleanup: noCleanup,
      }
    },
  }
}

/** A baseline that writes a SQLite file in a fresh temp dir per run. */
function sqliteBaseline(
  name: TargetName,
  script: string,
  description: string,
  unavailable?: () => string | undefined,
): Target {
  return {
    name,
    description,
    signature: 'ed25519',
    path: '/webhook',
    verifies: true,
    dedupes: true,
    unavailable,
    async prepare(ctx) {
      const dir = mkdtempSync(join(tmpdir(), `ghl-bench-${name}-`))
      return {
        command: process.execPath,
        args: [join(serversDir, script)],
        env: {
          ...baseEnv(ctx.port),
          BENCH_ED25519_SPKI: ctx.keys.ed25519.publicSpkiB64,
          BENCH_DB_PATH: join(dir, `${name}.db`),
        },
        async cleanup() {
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  }
}

function gatewayUnavailable(entry: string): string | undefined {
  return existsSync(entry)
    ? undefined
    : `${entry} does not exist yet; build the gateway with \`npm run build\``
}

function gateway(name: TargetName, store: 'sqlite' | 'pg', path: string, entry: string): Target {
  return {
    name,
    description:
      store === 'sqlite'
        ? 'ghl-gateway serve, SQLite store in a fresh temp dir per run'
        : 'ghl-gateway serve, embedded PostgreSQL, fresh database per run',
    signature: 'ed25519',
    path,
    readyPath: '/readyz',
    verifies: true,
    dedupes: true,
    unavailable: () => gatewayUnavailable(entry),
    async prepare(ctx) {
      // Fresh working dir per run: the store lives there (SQLite) and no stray
      // ./ghl-gateway.config.* from the repository changes what is measured.
      const dir = mkdtempSync(join(tmpdir(), `ghl-bench-${name}-`))
      let databaseUrl = `sqlite:${join(dir, 'gw.db')}`
      let cleanupDb = noCleanup
      let pgCpu: (() => number) | undefined
      if (store === 'pg') {
        const pg = await ctx.postgres()
        pgCpu = () => pg.cpuSeconds()
        const db = `bench_r${ctx.run}_${Date.now().toString(36)}`
        databaseUrl = await pg.createDatabase(db)
        cleanupDb = () => pg.dropDatabase(db).catch(() => {})
      }
      return {
        command: process.execPath,
        args: [entry, 'serve'],
        cwd: dir,
        env: {
          ...baseEnv(ctx.port),
          DATABASE_URL: databaseUrl,
          GHL_ED25519_PUBLIC_KEYS: ctx.keys.ed25519.publicSpkiB64,
          LOG_LEVEL: 'info',
          ...ctx.gatewayEnv,
        },
        stdoutFile: ctx.logFile ?? '/dev/null',
        // Only our cluster's processes: other sessions' test databases may run on this machine.
        databaseCpuSeconds: pgCpu,
        async cleanup() {
          await cleanupDb()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  }
}

export interface GatewayOptions {
  /** Webhook route the gateway serves GHL on. */
  path: string
  /** Gateway CLI entry point. @default dist/cli/main.js */
  entry?: string
}

export function createTargets(gw: GatewayOptions): Record<TargetName, Target> {
  const entry = gw.entry ?? gatewayEntry
  return {
    bare: baseline(
      'bare',
      'bare-http.mjs',
      'node:http, reads the body, answers 200 (no verification): the ceiling',
      'ed25519',
      false,
      () => ({}),
    ),
    floor: baseline(
      'floor',
      'verify-floor.mjs',
      'bare + one Ed25519 verify over the raw body, key parsed once: the verify floor',
      'ed25519',
      true,
      (keys) => ({ BENCH_ED25519_SPKI: keys.ed25519.publicSpkiB64 }),
    ),
    // The gateway checks Ed25519 with libsodium, not node:crypto: this floor shows what the same
    // library does for a single-threaded receiver, so the gateway's gain from it is not hidden.
    'floor-sodium': baseline(
      'floor-sodium',
      'verify-floor.mjs',
      "the verify floor with libsodium's check (sodium-native) instead of crypto.verify, as the gateway verifies",
      'ed25519',
      true,
      (keys) => ({ BENCH_ED25519_SPKI: keys.ed25519.publicSpkiB64, BENCH_ED25519_LIB: 'sodium' }),
    ),
    'durable-floor': sqliteBaseline(
      'durable-floor',
      'durable-floor.mjs',
      'floor, verified on the thread pool, + JSON.parse + SQLite insert (dedupe key, raw body; one unique index), group commit, 200 after commit',
    ),
    'store-floor': sqliteBaseline(
      'store-floor',
      'store-floor.mjs',
      "durable-floor with the gateway's own SQLite store (its schema and indexes, checkpoint thread) in place of the one-index table",
      () => gatewayUnavailable(entry),
    ),
    guide: baseline(
      'guide',
      'guide-express.mjs',
      "GHL integration guide's handler: Express + JSON.stringify + RSA-4096 PEM string per request",
      'rsa',
      true,
      (keys) => ({ BENCH_RSA_PEM_PATH: keys.rsa.publicPemPath }),
    ),
    'gateway-sqlite': gateway('gateway-sqlite', 'sqlite', gw.path, entry),
    'gateway-pg': gateway('gateway-pg', 'pg', gw.path, entry),
  }
}
