import { ConfigError } from '../config-error.js'
import { parseDatabaseUrl } from './database-url.js'
import { createPostgresStore } from './postgres/postgres-store.js'
import { createSqliteStore } from './sqlite/sqlite-store.js'
import type { Store } from './types.js'

export interface OpenStoreOptions {
  /** `sqlite:<path>` (relative paths resolve against the working directory) or `postgres://…`. */
  url: string
  durability?: 'process' | 'fsync'
  poolSize?: number
  onPoolError?: (error: Error) => void
}

/** Opens the store named by a DATABASE_URL. Does not migrate; call `store.migrate()`. */
export function openStore(options: OpenStoreOptions): Store {
  const target = parseDatabaseUrl(options.url)
  if ('problem' in target) throw new ConfigError(target.problem)
  if (target.kind === 'sqlite') {
    return createSqliteStore({ path: target.path, durability: options.durability ?? 'process' })
  }
  return createPostgresStore({
    url: target.url,
    poolSize: options.poolSize,
    onPoolError: options.onPoolError,
  })
}
