import { type AssembleOptions, type Assembly, assemble } from '../../src/assemble.js'
import { loadConfig } from '../../src/config/index.js'
import { createLogger } from '../../src/observe/logger.js'
import { freshPostgresDatabase, freshSqliteFile } from './databases.js'
import { LogCapture, type StoreKind } from './test-app.js'

/** A gateway assembled as `listen()` assembles it, on a test database, its logs captured. */
export interface TestAssembly extends Assembly {
  logs: LogCapture
  /** Its DATABASE_URL. */
  databaseUrl: string
  /** Releases the assembly, then removes the database it made (not one it was given). */
  close(): Promise<void>
}

export interface TestAssemblyOptions extends Omit<AssembleOptions, 'logger' | 'env'> {
  /** An existing database (a second process on the same data). @default a fresh one of `kind` */
  database?: { url: string }
}

/**
 * `assemble()` on a fresh SQLite file or PostgreSQL database, with settings from `env` only (no
 * config file is searched for). Nothing listens and the worker does not run until the test says so.
 */
export async function assembleForTest(
  kind: StoreKind,
  env: Record<string, string>,
  options: TestAssemblyOptions = {},
): Promise<TestAssembly> {
  const { database, ...assembleOptions } = options
  const owned = database ? undefined : kind === 'sqlite' ? freshSqliteFile() : await freshPostgresDatabase()
  const databaseUrl = database?.url ?? owned!.url
  const removeDatabase = async () => {
    if (owned && 'remove' in owned) owned.remove()
    else if (owned) await owned.drop()
  }
  const fullEnv = { ...env, DATABASE_URL: databaseUrl }
  const logs = new LogCapture()
  let assembly: Assembly
  try {
    const config = loadConfig({ env: fullEnv, cwd: '/nonexistent' })
    const logger = createLogger({ level: config.LOG_LEVEL, destination: logs })
    // Every admin answer is checked against its schema (the OpenAPI document) in tests.
    assembly = await assemble(config, { ...assembleOptions, logger, env: fullEnv, checkResponses: true })
  } catch (error) {
    await removeDatabase()
    throw error
  }
  return {
    ...assembly,
    logs,
    databaseUrl,
    async close() {
      await assembly.release()
      await removeDatabase()
    },
  }
}
