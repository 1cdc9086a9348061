import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type RunningCli, runCli, startNode, tempDir } from './cli/run-cli.js'
import { startFakeGhl } from './support/fake-ghl.js'
import { freePort, startGatewayProcess, stopAllGatewayProcesses } from './support/gateway-process.js'
import { ghlAppEnv } from './support/ghl-install.js'
import { startSink } from './support/sink.js'
import { until } from './support/until.js'

/**
 * Every folder of examples/ type-checks and runs: each is started as a user would start it (tsx, or
 * `ghl-gateway serve` in its folder), gets one ContactCreate signed by `ghl-gateway send`, and is
 * seen handling it. `npm test` builds dist/ first; the examples import 'ghl-gateway' from it.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const EXAMPLES = join(ROOT, 'examples')
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
/** A start takes 6–12 s on a busy 2-core machine (see gateway-process.ts); generous bounds. */
const START_MS = 60_000
const HANDLED_MS = 30_000

/** A working directory with the SQLite file, a signing key and the environment that trusts it. */
function workspace() {
  const dir = tempDir('ghl-gateway-example-')
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const keyFile = join(dir.path, 'ed25519.pem')
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }))
  const env = {
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${join(dir.path, 'gateway.db')}`,
    GHL_ED25519_PUBLIC_KEYS: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    LOG_LEVEL: 'warn',
  }
  return { dir, keyFile, env }
}

/** `ghl-gateway send ContactCreate`, signed with the workspace's key, to `url`; exits 0 on a 2xx. */
async function sendContactCreate(url: string, keyFile: string, cwd: string, fields: Record<string, string>) {
  const sets = Object.entries(fields).flatMap(([name, value]) => ['--set', `${name}=${value}`])
  const sent = await runCli(['send', 'ContactCreate', '--to', url, '--key', keyFile, ...sets], { cwd })
  expect(sent.code, `${sent.stdout}\n${sent.stderr}`).toBe(0)
  expect(sent.stdout).toMatch(/^200\s+accepted\s+evt_/)
}

function typeCheck(project: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSC, '-p', project], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('examples type-check against the built package', () => {
  for (const project of ['examples/tsconfig.json', 'examples/nextjs/tsconfig.json']) {
    it(`tsc -p ${project}`, { timeout: 150_000 }, async () => {
      const { code, output } = await typeCheck(project)
      expect(output).toBe('')
      expect(code).toBe(0)
    })
  }
})

describe('examples handle a signed event sent by the CLI', () => {
  const started: RunningCli[] = []
  const cleanUps: (() => unknown)[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((app) => app.stop('SIGTERM', 10_000)))
    for (const cleanUp of cleanUps.splice(0).reverse()) await cleanUp()
  })
  afterAll(() => stopAllGatewayProcesses())

  /** Starts `node --import tsx <file> [args]` with PORT set; resolves once it printed "listening on". */
  async function startExample(file: string, env: Record<string, string>, cwd: string, args: string[] = []) {
    const port = await freePort()
    const app = startNode(['--import', TSX, file, ...args], { cwd, env: { ...env, PORT: String(port) } })
    started.push(app)
    await app.waitFor(/listening on/, { timeoutMs: START_MS })
    return { app, base: `http://127.0.0.1:${port}` }
  }

  for (const name of ['express', 'fastify', 'hono']) {
    it(`${name}: webhooks through the mounted handler, the app's own JSON routes unchanged`, {
      timeout: 120_000,
    }, async () => {
      const { dir, keyFile, env } = workspace()
      cleanUps.push(dir.remove)
      const { app, base } = await startExample(join(EXAMPLES, name, 'server.ts'), env, dir.path)

      await sendContactCreate(`${base}/webhooks/ghl`, keyFile, dir.path, { id: `c_${name}_1` })
      await app.waitFor(new RegExp(`new contact c_${name}_1 <`), { timeoutMs: HANDLED_MS })

      const order = await fetch(`${base}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'A1' }),
      })
      expect(order.status).toBe(201)
      expect(await order.json()).toEqual({ order: { sku: 'A1' } })
    })
  }

  it('nextjs: the route module POST at /api/webhooks/ghl', { timeout: 120_000 }, async () => {
    const { dir, keyFile, env } = workspace()
    cleanUps.push(dir.remove)
    const route = join(EXAMPLES, 'nextjs/app/api/webhooks/[source]/route.ts')
    const { app, base } = await startExample(join(ROOT, 'test/support/next-route-server.ts'), env, dir.path, [
      route,
    ])

    await sendContactCreate(`${base}/api/webhooks/ghl`, keyFile, dir.path, { id: 'c_next_1' })
    await app.waitFor(/new contact c_next_1 </, { timeoutMs: HANDLED_MS })
  })

  it('serve: ghl-gateway serve with the folder’s config file delivers to the destination', {
    timeout: 120_000,
  }, async () => {
    const { dir, keyFile, env } = workspace()
    cleanUps.push(dir.remove)
    const sink = await startSink()
    cleanUps.push(() => sink.close())
    const gateway = await startGatewayProcess({
      databaseUrl: env.DATABASE_URL,
      // Its working directory is the example's folder, where serve finds ghl-gateway.config.yaml.
      cwd: join(EXAMPLES, 'serve'),
      env: {
        GHL_ED25519_PUBLIC_KEYS: env.GHL_ED25519_PUBLIC_KEYS,
        CRM_WEBHOOK_URL: sink.url,
        CRM_TOKEN: 'example-token',
        EGRESS_ALLOW: '127.0.0.1',
      },
    })
    cleanUps.push(() => gateway.stop())

    await sendContactCreate(`${gateway.url}/webhooks/ghl`, keyFile, dir.path, { id: 'c_serve_1' })
    // No throw on timeout: the assertion below shows what the destination got.
    await until(() => sink.requests.length > 0, 'a delivery', 30_000).catch(() => {})
    expect(sink.requests).toHaveLength(1)
    const [delivered] = sink.requests
    expect(delivered!.headers.authorization).toBe('Bearer example-token')
    expect(JSON.parse(delivered!.body.toString())).toMatchObject({
      type: 'contact.created',
      data: { id: 'c_serve_1' },
    })
  })

  it('ghl-app: an OAuth install, then the handler calls GHL through ctx.ghl', {
    timeout: 120_000,
  }, async () => {
    const { dir, keyFile, env } = workspace()
    cleanUps.push(dir.remove)
    const fake = await startFakeGhl()
    cleanUps.push(() => fake.close())
    const { app, base } = await startExample(
      join(EXAMPLES, 'ghl-app/app.ts'),
      { ...env, ...ghlAppEnv(fake) },
      dir.path,
    )

    // GHL's redirect after an admin approved the install on loc_example.
    const installed = await fetch(`${base}/oauth/callback?code=${fake.authorize({ ownerId: 'loc_example' })}`)
    expect(installed.status, await installed.text()).toBe(200)

    await sendContactCreate(`${base}/webhooks/ghl`, keyFile, dir.path, {
      id: 'c_app_1',
      locationId: 'loc_example',
    })
    await app.waitFor(/tagged contact c_app_1 in location loc_example/, { timeoutMs: HANDLED_MS })
    const contact = fake.api.contact('c_app_1')
    expect(contact?.tags).toContain('new-lead')
    expect(contact?.notes.map((note) => note.body)).toEqual(['Welcome! Tagged new-lead.'])
  })
})
