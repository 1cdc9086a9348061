// Writes docs/openapi.json: the OpenAPI document a gateway serves at GET /api/openapi.json,
// generated from the admin routes' zod schemas (src/api/schemas/).
//   npm run openapi
// test/api-contract.test.ts fails while the committed copy differs from what a gateway serves.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createGateway } from '../src/index.js'

const target = fileURLToPath(new URL('../docs/openapi.json', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-openapi-'))
const token = randomBytes(24).toString('hex')
const gateway = createGateway({
  env: { DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`, ADMIN_TOKEN: token, LOG_LEVEL: 'warn' },
})
try {
  const { url } = await gateway.listen({ port: 0, host: '127.0.0.1' })
  const response = await fetch(`${url}/api/openapi.json`, { headers: { authorization: `Bearer ${token}` } })
  if (!response.ok) throw new Error(`GET /api/openapi.json answered ${response.status}`)
  writeFileSync(target, `${JSON.stringify(await response.json(), null, 2)}\n`)
  console.log(`wrote ${target}`)
} finally {
  await gateway.close()
  rmSync(dir, { recursive: true, force: true })
}
