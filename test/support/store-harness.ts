import Database from 'better-sqlite3'
import pg from 'pg'
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
