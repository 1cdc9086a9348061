import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { tempDir } from './cli/run-cli.js'
import { freshSqliteFile } from './support/databases.js'
import {
  createTestKeyPair,
  httpRequest,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from './support/gateway-process.js'

/**
 * CI runs this suite on Node 20 and again on Node 24 (`.ci/run`, `.ci/run-node24`). The tests that
 * start the gateway as a child process only test the second Node if the child runs on the Node the
 * suite runs on (`process.execPath`, not whichever `node` comes first on PATH) and loads the
 * better-sqlite3 built for it.
 *
 * Would this catch a helper that spawns `node` from PATH? Checked by hand: with `spawn('node', …)`
 * in test/support/gateway-process.ts and vitest started by Node 24's binary while PATH led to Node 20,
 * this test fails: the child reports `version="v20.20.2"`.
 *
 * `.ci/run-node-floor` runs it on the oldest Node `engines` allows, too. The console's sample send
 * goes through fastify's inject(), which loads the ESM-only cookie@2 with require(): on Node 20.18.1
 * (the old floor) that answered 500 `internal_error` (ERR_REQUIRE_ESM), checked by hand.
 */

const ADMIN_TOKEN = 'node-runtime-admin-token-0123456789'

afterAll(stopAllGatewayProcesses)

it('a gateway child process runs on the Node the tests run on, with its SQLite, and sends a console sample', async () => {
  const file = freshSqliteFile()
  const dir = tempDir()
  const keys = createTestKeyPair()
  const signingKey = join(dir.path, 'ed25519.pem')
  writeFileSync(signingKey, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }))
  try {
    const gateway = await startGatewayProcess({
      databaseUrl: file.url,
      keyPair: keys,
      env: { ADMIN_TOKEN, CONSOLE_SAMPLE_SIGNING_KEY: signingKey },
    })
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
    const metrics = await httpRequest(`${gateway.url}/metrics`, { headers: admin })
    const sample = await httpRequest(`${gateway.url}/api/catalog/ContactCreate/send`, {
      method: 'POST',
      headers: admin,
    })
    await gateway.stop()
    expect(metrics.status).toBe(200)
    // prom-client's default metrics: the child's own process.version.
    expect(metrics.text).toContain(`ghl_gateway_nodejs_version_info{version="${process.version}"`)
    expect(sample.status, sample.text).toBe(200)
    expect(sample.body).toMatchObject({ status: 'accepted' })
  } finally {
    file.remove()
    dir.remove()
  }
})
