import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeEach } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/types.js'
import { freshPostgresDatabase, freshSqliteFile } from './databases.js'

/** A store on an empty database of each kind, for the suites every store must pass (src/store/*conformance.test.ts). */
export interface Harness {
  name: string
  /** A store on an empty database. */
  open(): Promise<Store>
  /** A second store on the same database: what another gateway process would see. */
  openSibling(): Store
  /** Runs raw SQL on the database behind the store (test setup only). */
  exec(sql: string): Promise<void>
  cleanup(): Promise<void>
}

export function sqliteHarness(): Harness {
  let file: ReturnType<typeof freshSqliteFile>
  return {
    name: 'sqlite',
    async open() {
      file = freshSqliteFile()
      return openStore({ url: file.url })
    },
    openSibling: () => openStore({ url: file.url }),
    async exec(sql) {
      const db = new Database(file.path)
      db.exec(sql)
      db.close()
    },
    async cleanup() {
      file?.remove()
    },
  }
}

export function postgresHarness(): Harness {
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>
  const dropped: (() => Promise<void>)[] = []
  return {
    name: 'postgres',
    async open() {
      database = await freshPostgresDatabase()
      dropped.push(database.drop)
      return openStore({ url: database.url, poolSize: 20 })
    },
    openSibling: () => openStore({ url: database.url, poolSize: 20 }),
    async exec(sql) {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      await client.query(sql)
      await client.end()
    },
    async cleanup() {
      for (const drop of dropped) await drop()
    },
  }
}

/** The store kinds every suite runs on, as named rows (a bare function would print its source in titles). */
export const STORE_HARNESSES = [
  ['sqlite', sqliteHarness],
  ['postgres', postgresHarness],
] as const

/**
 * Registers, inside a `describe`: a freshly migrated store before each test (handed to `use`), and
 * closing every store the suite opened — `keep` adds the ones a test opens itself — then dropping
 * the databases after the last test.
 */
export function storePerTest(harness: Harness, use: (store: Store) => void): { keep(store: Store): Store } {
  const opened: Store[] = []
  const keep = (store: Store) => {
    opened.push(store)
    return store
  }
  beforeEach(async () => {
    const store = keep(await harness.open())
    await store.migrate()
    use(store)
  })
  afterAll(async () => {
    for (const store of opened) await store.close()
    await harness.cleanup()
  })
  return { keep }
}
