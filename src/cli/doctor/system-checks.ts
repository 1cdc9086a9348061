import { accessSync, constants, existsSync, statfsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { GatewayConfig } from '../../config/index.js'
import { coerceError } from '../../errors.js'
import { databaseProblem } from '../../store/database-problem.js'
import { parseDatabaseUrl, withoutPassword } from '../../store/database-url.js'
import { openStore } from '../../store/open-store.js'
import { httpGet } from '../http.js'
import { tryBind } from '../port.js'
import type { Check } from './check.js'
import { listeningAddresses } from './listening.js'

/** Doctor checks of the machine: database, disk, clock, port. */

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const DISK_FAIL_BYTES = 100 * MiB
const DISK_WARN_BYTES = 1 * GiB
const DB_CHECK_MS = 10_000

/** The SQLite file for a `sqlite:` URL, as the store resolves it; undefined for other URLs. */
export function sqlitePath(url: string, cwd: string): string | undefined {
  const target = parseDatabaseUrl(url)
  if (!('kind' in target) || target.kind !== 'sqlite' || target.path === ':memory:') return undefined
  return resolve(cwd, target.path)
}

function nearestExisting(path: string): string {
  let current = path
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current)
  return current
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolvePromise(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })

/** Reachable and migrated: the store's `migrationStatus()` (reads the applied migrations, applies none). */
export async function checkDatabase(config: GatewayConfig, cwd: string): Promise<Check> {
  const url = config.DATABASE_URL
  const file = sqlitePath(url, cwd)
  if (file && !existsSync(file)) {
    const dir = nearestExisting(dirname(file))
    try {
      accessSync(dir, constants.W_OK)
    } catch {
      return {
        name: 'database',
        status: 'fail',
        message: `${file} does not exist and ${dir} is not writable`,
        fix: 'point DATABASE_URL at a writable directory',
      }
    }
    return {
      name: 'database',
      status: 'ok',
      message: `${file} does not exist yet; \`ghl-gateway serve\` (or migrate) creates it`,
    }
  }
  let store: ReturnType<typeof openStore>
  try {
    store = openStore({ url, durability: config.DURABILITY, poolSize: 1 })
  } catch (error) {
    return { name: 'database', status: 'fail', ...databaseProblem(withoutPassword(url), error) }
  }
  try {
    const status = await withTimeout(store.migrationStatus(), DB_CHECK_MS, store.location)
    const migrate = 'run `ghl-gateway migrate` (serve also migrates when it starts)'
    if (status.current === 0) {
      return {
        name: 'database',
        status: 'fail',
        message: `${store.location} is reachable but not migrated`,
        fix: migrate,
      }
    }
    if (status.pending.length) {
      const n = status.pending.length
      return {
        name: 'database',
        status: 'fail',
        message: `${store.location} is reachable but ${n} migration${n === 1 ? ' is' : 's are'} pending: ${status.pending.join(', ')}`,
        fix: migrate,
      }
    }
    if (status.unknown.length) {
      return {
        name: 'database',
        status: 'warn',
        message: `${store.location} has migrations this version does not know (${status.unknown.join(', ')}): a newer ghl-gateway migrated it`,
        fix: 'upgrade this ghl-gateway to the version the other processes run',
      }
    }
    return {
      name: 'database',
      status: 'ok',
      message: `${store.location} is reachable and migrated (${status.current} migrations)`,
    }
  } catch (error) {
    return { name: 'database', status: 'fail', ...databaseProblem(store.location, error) }
  } finally {
    await store.close().catch(() => {})
  }
}

export function checkDisk(config: GatewayConfig, cwd: string): Check {
  const file = sqlitePath(config.DATABASE_URL, cwd)
  if (!file)
    return { name: 'disk', status: 'info', message: 'PostgreSQL: check free space on the database server' }
  const dir = nearestExisting(dirname(file))
  const stats = statfsSync(dir)
  const free = stats.bavail * stats.bsize
  const total = stats.blocks * stats.bsize
  const text = `${(free / GiB).toFixed(1)} GiB free of ${(total / GiB).toFixed(1)} GiB under ${dir}`
  if (free < DISK_FAIL_BYTES)
    return {
      name: 'disk',
      status: 'fail',
      message: text,
      fix: 'free disk space: a full disk makes the gateway answer 503 to every webhook',
    }
  if (free < DISK_WARN_BYTES)
    return {
      name: 'disk',
      status: 'warn',
      message: text,
      fix: 'free some space soon; the gateway answers 503 when the disk is full',
    }
  return { name: 'disk', status: 'ok', message: text }
}

/** The clock: sane on its own, and against `timeUrl`'s Date header when given. */
export async function checkClock(timeUrl: string | undefined): Promise<Check> {
  const now = new Date()
  if (now.getUTCFullYear() < 2025) {
    return {
      name: 'clock',
      status: 'fail',
      message: `the clock says ${now.toISOString()}`,
      fix: 'set the system time (enable NTP)',
    }
  }
  if (!timeUrl)
    return {
      name: 'clock',
      status: 'info',
      message: `${now.toISOString()} (compare with a trusted clock: --time-url https://…)`,
    }
  try {
    const before = Date.now()
    const response = await fetch(timeUrl, { method: 'HEAD', signal: AbortSignal.timeout(5000) })
    const after = Date.now()
    const date = Date.parse(response.headers.get('date') ?? '')
    if (!Number.isFinite(date))
      return {
        name: 'clock',
        status: 'warn',
        message: `${timeUrl} sent no Date header`,
        fix: 'use another --time-url',
      }
    const skew = (before + after) / 2 - date
    const text = `${Math.abs(Math.round(skew / 1000))} s ${skew >= 0 ? 'ahead of' : 'behind'} ${new URL(timeUrl).host}`
    if (Math.abs(skew) > 30_000)
      return {
        name: 'clock',
        status: 'warn',
        message: text,
        fix: 'sync the clock (NTP): event times and timestamp windows depend on it',
      }
    return { name: 'clock', status: 'ok', message: text }
  } catch (error) {
    return {
      name: 'clock',
      status: 'warn',
      message: `could not reach ${timeUrl}: ${coerceError(error).message}`,
      fix: 'check the URL or drop --time-url',
    }
  }
}

const hostPort = (port: number) => (host: string) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`

/** Can `serve` bind PORT on HOST? If a ghl-gateway already serves there, that is fine too. */
export async function checkPort(config: GatewayConfig): Promise<Check> {
  const { PORT: port, HOST: host } = config
  if (port === 0)
    return { name: 'port', status: 'info', message: 'PORT=0: the system picks a free port at start' }
  const error = await tryBind(port, host)
  if (!error) return { name: 'port', status: 'ok', message: `${host}:${port} is free` }
  if (error.code === 'EADDRINUSE') {
    // Where the port is really bound (another HOST than ours conflicts too), else where ours points.
    const bound = listeningAddresses(port)?.map(hostPort(port))
    const probe = (bound?.[0] ?? hostPort(port)(host))
      .replace(/^0\.0\.0\.0:/, '127.0.0.1:')
      .replace(/^\[::\]:/, '[::1]:')
    const where = bound?.length ? bound.join(' and ') : hostPort(port)(host)
    try {
      const response = await httpGet(new URL(`http://${probe}/webhooks/ghl/verify`), {}, 2000)
      const body = JSON.parse(response.text) as { version?: string }
      if (typeof body.version === 'string') {
        return {
          name: 'port',
          status: 'info',
          message: `a ghl-gateway ${body.version} is already serving on ${where}`,
        }
      }
    } catch {
      // not a gateway
    }
    return {
      name: 'port',
      status: 'fail',
      message: `port ${port} is taken by another program (listening on ${where})`,
      fix: 'stop it, or choose another port with PORT or --port',
    }
  }
  if (error.code === 'EACCES')
    return {
      name: 'port',
      status: 'fail',
      message: `binding port ${port} needs privileges`,
      fix: 'use a port above 1023 (and a proxy in front)',
    }
  if (error.code === 'EADDRNOTAVAIL')
    return {
      name: 'port',
      status: 'fail',
      message: `HOST ${host} is not an address of this machine`,
      fix: 'set HOST to 0.0.0.0, 127.0.0.1 or one of its addresses',
    }
  return {
    name: 'port',
    status: 'fail',
    message: `cannot bind ${host}:${port}: ${error.code ?? error.message}`,
    fix: 'choose another PORT or HOST',
  }
}
