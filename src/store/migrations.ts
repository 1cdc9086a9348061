import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { MigrationStatus } from './types.js'

/**
 * Numbered, append-only SQL migrations: `NNNN_what_it_does.sql`, one folder per store. A migration
 * that has been applied is never edited (its checksum is recorded and checked at every start);
 * changes go into a new file. Migrations must keep the previous release working against the new
 * schema, because during a rolling upgrade old replicas keep running on the migrated database.
 */
export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/

export function loadMigrations(dir: URL): Migration[] {
  const path = fileURLToPath(dir)
  const migrations = readdirSync(path)
    .filter((file) => FILE.test(file))
    .sort()
    .map((file) => {
      const [, version, name] = FILE.exec(file)!
      const sql = readFileSync(`${path}/${file}`, 'utf8')
      return {
        version: Number(version),
        name: name!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      }
    })
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migrations in ${path} must be numbered 0001, 0002, … without gaps (found ${migration.version})`,
      )
    }
  })
  return migrations
}

export interface AppliedMigration {
  version: number
  checksum: string
}

/** Which migrations to run, after checking that the applied ones are the ones this code ships. */
export function planMigrations(
  known: readonly Migration[],
  applied: readonly AppliedMigration[],
): { pending: Migration[]; unknown: number[] } {
  const byVersion = new Map(known.map((m) => [m.version, m]))
  const unknown: number[] = []
  for (const row of applied) {
    const migration = byVersion.get(row.version)
    if (!migration) {
      unknown.push(row.version)
    } else if (migration.checksum !== row.checksum) {
      throw new Error(
        `migration ${String(row.version).padStart(4, '0')}_${migration.name} was changed after it was applied; ` +
          'migrations are append-only: restore the file and add a new migration instead',
      )
    }
  }
  const done = new Set(applied.map((row) => row.version))
  return { pending: known.filter((m) => !done.has(m.version)), unknown }
}

/** `0003_add_deliveries`: how migrations are named in reports. */
export function migrationLabel(migration: Migration): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}`
}

/** `migrationStatus()` of both stores: the plan, reported instead of applied. */
export function statusOf(known: readonly Migration[], applied: readonly AppliedMigration[]): MigrationStatus {
  const plan = planMigrations(known, applied)
  return { current: applied.length, pending: plan.pending.map(migrationLabel), unknown: plan.unknown }
}
