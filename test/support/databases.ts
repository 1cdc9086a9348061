import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'

/** A fresh, empty PostgreSQL database on the run's embedded server; dropped by `drop()`. */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = inject('pgAdminUrl')
  const name = `t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = adminUrl.replace(/\/postgres$/, `/${name}`)
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    },
  }
}

/** A fresh directory for a SQLite file; removed by `remove()`. */
export function freshSqliteFile(): { path: string; url: string; dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-sqlite-'))
  const path = join(dir, 'gateway.db')
  return { path, url: `sqlite:${path}`, dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
