import { afterAll, expect, it } from 'vitest'
import { freshSqliteFile } from './support/databases.js'
import { httpRequest, startGatewayProcess, stopAllGatewayProcesses } from './support/gateway-process.js'

/**
 * CI runs this suite on Node 20 and again on Node 24 (`.ci/run`, `.ci/run-node24`). The tests that
 * start the gateway as a child process only test the second Node if the child runs on the Node the
 * suite runs on (`process.execPath`, not whichever `node` comes first on PATH) and loads the
 * better-sqlite3 built for it.
 *
 * Would this catch a helper that spawns `node` from PATH? Checked by hand: with `spawn('node', …)`
 * in test/support/gateway-process.ts and vitest started by Node 24's binary while PATH led to Node 20,
 * this test fails: the child reports `version="v20.20.2"`.
 */

const ADMIN_TOKEN = 'node-runtime-admin-token-0123456789'

afterAll(stopAllGatewayProcesses)

it('a gateway child process runs on the Node the tests run on, with its SQLite', async () => {
  const file = freshSqliteFile()
  try {
    const gateway = await startGatewayProcess({ databaseUrl: file.url, env: { ADMIN_TOKEN } })
    const metrics = await httpRequest(`${gateway.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    await gateway.stop()
    expect(metrics.status).toBe(200)
    // prom-client's default metrics: the child's own process.version.
    expect(metrics.text).toContain(`ghl_gateway_nodejs_version_info{version="${process.version}"`)
  } finally {
    file.remove()
  }
})
