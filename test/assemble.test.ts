import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { assemble } from '../src/assemble.js'
import { loadConfig } from '../src/config/index.js'
import { createGateway } from '../src/index.js'
import { createLogger } from '../src/observe/logger.js'
import { type ReleaseStack, unreleased } from '../src/release-stack.js'
import { DatabaseUnavailableError } from '../src/store/database-problem.js'
import { assembleForTest } from './support/assembly.js'
import { freshSqliteFile } from './support/databases.js'

/** The composition root: what assemble() and listen() take, in which order they give it back. */

const silent = createLogger({ level: 'silent' })
const stackOf = (location: string): ReleaseStack | undefined =>
  unreleased().find((stack) => stack.label === `gateway ${location}`)

describe('assemble() and listen()', () => {
  const cleanups: (() => unknown)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('assembles without listening; release gives back HTTP, then bulk DLQ jobs, attempts, destinations, the store', async () => {
    const t = await assembleForTest('sqlite', { LOG_LEVEL: 'silent' })
    cleanups.push(() => t.close())
    expect(t.app.fastify.server.listening).toBe(false)
    expect(stackOf(t.store.location)?.held).toEqual([
      // Before HTTP: pending operational event summaries are stored while the ingestor commits.
      'operational events',
      'http server',
      'dlq jobs',
      'worker',
      'destinations',
      'store',
    ])
    await t.release()
    await t.release()
    expect(stackOf(t.store.location)).toBeUndefined()
    await expect(t.store.heartbeat({ id: 'x', version: '0', startedAt: 0 })).rejects.toSatisfy((error) =>
      t.store.isUnavailableError(error),
    )
  })

  it('listen() opens wake-ups and retention on top, and close() gives those back first', async () => {
    const file = freshSqliteFile()
    cleanups.push(() => file.remove())
    const gw = createGateway({ database: file.url, env: { LOG_LEVEL: 'silent' } })
    cleanups.push(() => gw.close())
    await gw.listen({ port: 0, host: '127.0.0.1' })
    const location = gw.running!.store.location
    expect(stackOf(location)?.held).toEqual([
      'retention',
      'work notifications',
      'operational events',
      'http server',
      'dlq jobs',
      'worker',
      'destinations',
      'store',
    ])
    await Promise.all([gw.close(), gw.close()])
    expect(stackOf(location)).toBeUndefined()
    expect(gw.running!.app.fastify.server.listening).toBe(false)
  })

  it('a listen() that fails half-way gives back everything it built', async () => {
    const file = freshSqliteFile()
    cleanups.push(() => file.remove())
    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)))
    const port = (taken.address() as { port: number }).port
    const gw = createGateway({ database: file.url, env: { LOG_LEVEL: 'silent' }, logger: silent })
    const before = unreleased().length
    await expect(gw.listen({ port, host: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE|address already in use/)
    expect(unreleased()).toHaveLength(before)
    expect(gw.running).toBeUndefined()
    await gw.close()
  })

  it('an assembly that fails half-way (the database refuses) gives back what it opened', async () => {
    const url = inject('pgAdminUrl').replace(/\/postgres$/, '/no_such_database')
    const config = loadConfig({ env: { DATABASE_URL: url, LOG_LEVEL: 'silent' }, cwd: '/nonexistent' })
    const before = unreleased().length
    await expect(assemble(config, { logger: silent })).rejects.toBeInstanceOf(DatabaseUnavailableError)
    expect(unreleased()).toHaveLength(before)
  })
})
