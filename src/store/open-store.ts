import { ConfigError } from '../config/index.js'
import { createPostgresStore, redactUrl } from './postgres/postgres-store.js'
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
  const { url } = options
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (!path)
      throw new ConfigError('DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/ghl-gateway.db')
    return createSqliteStore({ path, durability: options.durability ?? 'process' })
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    return createPostgresStore({ url, poolSize: options.poolSize, onPoolError: options.onPoolError })
  }
  throw new ConfigError(
    `DATABASE_URL must start with sqlite: or postgres:// (got "${redactUrl(url).slice(0, 40)}")`,
  )
}
