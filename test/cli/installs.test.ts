import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assembleForTest, type TestAssembly } from '../support/assembly.js'
import type { StoreKind } from '../support/test-app.js'
import { runCli, tempDir } from './run-cli.js'

/**
 * `ghl-gateway installs list|show|set-tenant`, the real CLI binary against a gateway listening on
 * 127.0.0.1, on both stores: what the registry holds, the token's state (never the token), and a
 * tenant id set and cleared.
 */

const ADMIN_TOKEN = 'installs-cli-admin-token-0123456'
const APP = 'app_cli'

describe.each<StoreKind>(['sqlite', 'postgres'])('ghl-gateway installs (%s)', (kind) => {
  let gateway: TestAssembly
  let url: string
  const cwd = tempDir()
  const cli = (...args: string[]) => runCli([...args, '--url', url], { cwd: cwd.path, env: { ADMIN_TOKEN } })

  beforeAll(async () => {
    gateway = await assembleForTest(kind, {
      ADMIN_TOKEN,
      GHL_CLIENT_ID: `${APP}-client`,
      GHL_CLIENT_SECRET: 'secret',
      GHL_TOKEN_KEY: randomBytes(32).toString('base64'),
      GHL_API_URL: 'http://127.0.0.1:9',
    })
    await gateway.app.fastify.listen({ port: 0, host: '127.0.0.1' })
    const address = gateway.app.fastify.server.address() as { port: number }
    url = `http://127.0.0.1:${address.port}`
    const { store } = gateway
    const now = Date.now()
    await store.recordGhlInstall(
      { appId: APP, userType: 'Company', ownerId: 'comp_1' },
      { companyId: null, bulk: true },
      now,
    )
    await store.recordGhlInstall(
      { appId: APP, userType: 'Location', ownerId: 'loc_1' },
      { companyId: 'comp_1', bulk: true },
      now,
    )
    await store.putGhlToken(
      { appId: APP, userType: 'Location', ownerId: 'loc_1' },
      {
        keyId: 'k',
        accessToken: Buffer.from('secret-token'),
        refreshToken: null,
        expiresAt: now + 3_600_000,
        scopes: 'contacts.readonly',
        companyId: 'comp_1',
      },
      now,
    )
  })
  afterAll(async () => {
    await gateway?.close()
    cwd.remove()
  })

  it('list, show and set-tenant', async () => {
    const list = await cli('installs', 'list')
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toMatch(/company\s+comp_1\s+comp_1\s+installed\s+no token/)
    expect(list.stdout).toMatch(/location\s+loc_1\s+comp_1\s+installed\s+active/)

    const show = await cli('installs', 'show', 'location', 'loc_1')
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(/token\s+active/)
    expect(show.stdout).toMatch(/scopes\s+contacts\.readonly/)
    expect(show.stdout).not.toContain('secret-token')

    const set = await cli('installs', 'set-tenant', 'loc_1', 'acme-42')
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toMatch(/tenant id\s+acme-42/)
    const json = await cli('installs', 'list', '--company', 'comp_1', '--json')
    expect(JSON.parse(json.stdout).data.map((i: { tenantId: string | null }) => i.tenantId)).toEqual([
      null,
      'acme-42',
    ])
    const cleared = await cli('installs', 'set-tenant', 'loc_1', '--clear')
    expect(cleared.stdout).toMatch(/tenant id\s+—/)

    const missing = await cli('installs', 'show', 'location', 'loc_nope')
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('never installed on location loc_nope')
    const usage = await cli('installs', 'show', 'agency', 'x')
    expect(usage.code).not.toBe(0)
    expect(usage.stderr).toContain('<kind> must be location or company')
  })
})
