import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgresDatabase, freshSqliteFile } from '../support/databases.js'
import {
  createTestKeyPair,
  type GatewayProcess,
  httpRequest,
  postWebhook,
  signedWebhook,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from '../support/gateway-process.js'
import { type Sink, startSink } from '../support/sink.js'
import type { StoreKind } from '../support/test-app.js'
import { until } from '../support/until.js'
import { runCli, tempDir } from './run-cli.js'

/**
 * `ghl-gateway destinations …` and orphaned config destinations, against real gateway processes:
 * a gateway started from a directory without the config file keeps the file's destination as a
 * paused orphan — boot log, API, `doctor`, CLI — until it starts with the file again or the
 * destination is deleted explicitly.
 */

const ADMIN_TOKEN = 'destinations-cli-admin-token-0123'
const keys = createTestKeyPair()

afterAll(async () => {
  await stopAllGatewayProcesses()
})

const contactCreate = () =>
  signedWebhook(keys.privateKey, {
    type: 'ContactCreate',
    locationId: 'loc_1',
    id: `contact_${randomUUID().slice(0, 8)}`,
    webhookId: randomUUID(),
    timestamp: new Date().toISOString(),
  })

describe.each<StoreKind>(['sqlite', 'postgres'])(
  'an orphaned config destination, end to end on %s',
  (kind) => {
    const configDir = tempDir()
    const elsewhere = tempDir()
    let database: { url: string; cleanup: () => Promise<void> | void }
    let sink: Sink
    let gateway: GatewayProcess | undefined

    beforeAll(async () => {
      const db = kind === 'sqlite' ? freshSqliteFile() : await freshPostgresDatabase()
      database = { url: db.url, cleanup: () => ('remove' in db ? db.remove() : db.drop()) }
      // The CRM is down: deliveries stay open (retry_scheduled). The first retry waits a minute, so
      // no retry is running (state leased, not a failure) when step 3 reads the recent failures:
      // CI saw it, the default 5 s having passed.
      sink = await startSink(() => ({ status: 503, body: 'CRM down for maintenance' }))
      writeFileSync(
        join(configDir.path, 'ghl-gateway.config.yaml'),
        `egress: { allow: [127.0.0.1] }
destinations:
  - id: crm-sync
    url: ${sink.url}
    events: ["*"]
    auth: { type: bearer, token: "\${CRM_TOKEN}" }
    retry: { minDelay: 1m }
`,
      )
    })
    afterAll(async () => {
      await gateway?.stop()
      await sink?.close()
      await database?.cleanup()
      configDir.remove()
      elsewhere.remove()
    })

    const start = async (cwd: string) => {
      await gateway?.stop()
      gateway = await startGatewayProcess({
        databaseUrl: database.url,
        keyPair: keys,
        cwd,
        logLevel: 'info',
        env: { ADMIN_TOKEN, CRM_TOKEN: 'crm-secret', WORKER_POLL_INTERVAL: '100ms' },
      })
      return gateway
    }
    const cli = (...args: string[]) =>
      runCli(args, {
        cwd: elsewhere.path,
        env: { PORT: String(gateway!.port), ADMIN_TOKEN, DATABASE_URL: database.url },
      })
    // /readyz can answer before the boot lines reach us through the pipe (seen on a loaded machine):
    // wait for the line rather than read the log once.
    const logLine = (g: GatewayProcess, pattern: RegExp) =>
      until(
        () => g.jsonLogs().find((line) => pattern.test(String(line.msg))),
        `a log line matching ${pattern}`,
        15_000,
      )

    it('keeps it paused and flagged, says so at boot, in the API, the CLI and doctor; it comes back with the file; delete dead-letters', async () => {
      // 1. Started where the config file is: it is used, and the delivery fails (open).
      let g = await start(configDir.path)
      expect((await logLine(g, /^config file /))?.msg).toBe(
        `config file ${join(configDir.path, 'ghl-gateway.config.yaml')}`,
      )
      expect(await logLine(g, /listening on/)).toMatchObject({
        configFile: join(configDir.path, 'ghl-gateway.config.yaml'),
        destinations: ['crm-sync'],
      })
      expect((await postWebhook(g.url, contactCreate())).status).toBe(200)
      await until(() => sink.requests.length >= 1, 'a failed attempt', 15_000)
      expect(sink.requests[0]!.headers.authorization).toBe('Bearer crm-secret')

      // 2. Started from another directory: no config file, nothing dead-lettered, the boot log says why.
      g = await start(elsewhere.path)
      expect((await logLine(g, /^no config file/))?.msg).toBe(
        `no config file (looked for ghl-gateway.config.yaml, ghl-gateway.config.yml, ghl-gateway.config.json in ${elsewhere.path}; set GATEWAY_CONFIG or --config)`,
      )
      // It sends to nothing: the orphan only collects deliveries.
      expect(await logLine(g, /listening on/)).toMatchObject({ configFile: null, destinations: [] })
      const warning = await logLine(g, /destination crm-sync is orphaned/)
      expect(warning).toMatchObject({ level: 40, destination: 'crm-sync', openDeliveries: 1 })
      expect(g.logs().join('\n')).not.toMatch(/moved to the dead-letter queue/)

      const list = await cli('destinations', 'list')
      expect(list.code, list.stderr).toBe(0)
      expect(list.stdout).toMatch(/^ID +ORIGIN +STATE +ORPHANED +TARGET +EVENTS +OPEN$/m)
      expect(list.stdout).toMatch(
        new RegExp(`^crm-sync +config +paused +yes +POST ${sink.origin.replace(/\./g, '\\.')} +\\* +1$`, 'm'),
      )
      expect(list.stdout).not.toContain('/hook')
      expect(list.stderr).toMatch(
        /crm-sync is orphaned \(in no running gateway's config file\): paused, deliveries kept/,
      )
      const json = JSON.parse((await cli('destinations', 'list', '--json')).stdout)
      expect(json.data).toMatchObject([
        { id: 'crm-sync', orphaned: true, state: 'paused', openDeliveries: 1 },
      ])

      const doctor = await cli('doctor', '--json')
      const check = JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === 'destinations')
      expect(check).toMatchObject({
        status: 'warn',
        message: expect.stringMatching(
          /^crm-sync is orphaned since .*: no running gateway has it in its config file; paused, 1 open delivery kept$/,
        ),
        fix: expect.stringContaining('ghl-gateway destinations delete crm-sync'),
      })
      const doctorText = await cli('doctor')
      expect(doctorText.stdout).toMatch(/^warn +destinations +crm-sync is orphaned since/m)

      const resume = await cli('destinations', 'resume', 'crm-sync')
      expect(resume.code).toBe(1)
      expect(resume.stderr).toMatch(/409 conflict: destination crm-sync is orphaned/)

      // 3. Started with the file again: active, and `show` lists the failures so far.
      g = await start(configDir.path)
      expect(await logLine(g, /destination crm-sync is in this process's config file again/)).toBeDefined()
      const show = await cli('destinations', 'show', 'crm-sync')
      expect(show.code, show.stderr).toBe(0)
      expect(show.stdout).toMatch(/^crm-sync +active +config$/m)
      expect(show.stdout).toMatch(/"token": "\*\*\*"/)
      expect(show.stdout).not.toContain('crm-secret')
      expect(show.stdout).toMatch(
        /recent failures:\n.*LAST ERROR\n.*retry_scheduled +crm-sync .*answered 503/,
      )

      // 4. Orphaned again, then deleted explicitly: asked first, then its delivery is dead-lettered.
      g = await start(elsewhere.path)
      const refused = await cli('destinations', 'delete', 'crm-sync')
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(
        /delete destination crm-sync \(orphaned\) and move its 1 open delivery to the dead-letter queue: pass --yes/,
      )
      const deleted = await cli('destinations', 'delete', 'crm-sync', '--yes')
      expect(deleted.code, deleted.stderr).toBe(0)
      expect(deleted.stdout.trim()).toBe('deleted crm-sync; 1 open delivery moved to the dead-letter queue')
      expect(await logLine(g, /destination crm-sync deleted through the admin API/)).toMatchObject({
        deadLettered: 1,
      })
      const dlq = JSON.parse((await cli('dlq', 'list', '--json')).stdout)
      expect(dlq.data).toMatchObject([
        {
          subscriber: 'crm-sync',
          lastError: expect.stringMatching(/^the destination crm-sync was deleted \(an orphan/),
        },
      ])
    }, 120_000)
  },
)

describe('destinations CLI', () => {
  const cwd = tempDir()
  const database = freshSqliteFile()
  let gateway: GatewayProcess
  let ok: Sink
  let failing: Sink
  const cli = (...args: string[]) =>
    runCli(args, { cwd: cwd.path, env: { PORT: String(gateway.port), ADMIN_TOKEN } })
  const create = async (document: Record<string, unknown>) => {
    const answer = await httpRequest(`${gateway.url}/api/destinations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(document)),
    })
    expect(answer.status, answer.text).toBe(201)
  }

  beforeAll(async () => {
    ok = await startSink(() => ({ status: 200, body: '{"received":true}' }))
    failing = await startSink(() => ({ status: 500, body: 'boom' }))
    gateway = await startGatewayProcess({
      databaseUrl: database.url,
      keyPair: keys,
      env: { ADMIN_TOKEN, EGRESS_ALLOW: '127.0.0.1' },
    })
    await create({
      id: 'hook',
      url: `${ok.url}?key=not-shown-in-list`,
      events: ['contact.*', 'opportunity.*'],
      auth: { type: 'bearer', token: 'hook-secret' },
    })
    await create({ id: 'failing', url: failing.url, events: ['*'] })
  })
  afterAll(async () => {
    await gateway?.stop()
    await ok?.close()
    await failing?.close()
    database.remove()
    cwd.remove()
  })

  it('lists destinations as a table: origin, state, orphaned, method and URL origin, events, open deliveries', async () => {
    const list = await cli('destinations', 'list')
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout.split('\n')).toEqual([
      expect.stringMatching(/^ID +ORIGIN +STATE +ORPHANED +TARGET +EVENTS +OPEN$/),
      expect.stringMatching(
        new RegExp(`^hook +api +active +no +POST ${ok.origin} +contact\\.\\*, opportunity\\.\\* +0$`),
      ),
      expect.stringMatching(new RegExp(`^failing +api +active +no +POST ${failing.origin} +\\* +0$`)),
      '',
    ])
    expect(list.stdout).not.toContain('not-shown-in-list')
  })

  it('pauses with a reason and resumes', async () => {
    const paused = await cli('destinations', 'pause', 'hook', '--reason', 'CRM maintenance')
    expect(paused.code, paused.stderr).toBe(0)
    expect(paused.stdout.trim()).toBe('paused hook: CRM maintenance')
    expect(JSON.parse((await cli('destinations', 'show', 'hook', '--json')).stdout)).toMatchObject({
      state: 'paused',
      stateReason: 'CRM maintenance',
    })
    const resumed = await cli('destinations', 'resume', 'hook')
    expect(resumed.stdout.trim()).toBe('resumed hook: 0 open deliveries to send')
  })

  it('test-sends a fixture and prints status, latency and the answer; exit 1 when the destination refuses', async () => {
    const sent = await cli('destinations', 'test', 'hook', '--event', 'opportunity.stage_changed')
    expect(sent.code, sent.stderr).toBe(0)
    expect(sent.stdout).toMatch(
      new RegExp(
        `^ok {2}200 {2}\\d+\\.\\d ms {2}POST ${ok.origin} 200 OK\\nresponse {2}\\{"received":true\\}\\n$`,
      ),
    )
    expect(JSON.parse(ok.requests.at(-1)!.body.toString('utf8'))).toMatchObject({
      name: 'OpportunityStageUpdate',
    })
    expect(ok.requests.at(-1)!.headers.authorization).toBe('Bearer hook-secret')

    const refused = await cli('destinations', 'test', 'failing')
    expect(refused.code).toBe(1)
    expect(refused.stdout).toMatch(
      /^retry {2}500 {2}[\d.]+ ms {2}POST http:\/\/127\.0\.0\.1:\d+ answered 500/m,
    )
    expect(refused.stdout).toMatch(/^response {2}boom$/m)
    const unknown = await cli('destinations', 'test', 'hook', '--event', 'ContactCreat')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown event "ContactCreat"; did you mean "ContactCreate"\?/)
  })

  it('shows the definition with secrets as ***; an unknown id is one sentence, exit 1', async () => {
    const show = await cli('destinations', 'show', 'hook')
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(/^hook +active +api$/m)
    expect(show.stdout).toMatch(/"token": "\*\*\*"/)
    expect(show.stdout).not.toContain('hook-secret')
    expect(show.stdout).toMatch(/recent failures:\nnone/)
    const missing = await cli('destinations', 'show', 'nope')
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim()).toBe('ghl-gateway: the gateway answered 404 not_found: no destination nope')
  })

  it('deletes with --yes (asks otherwise); --json for scripts', async () => {
    const deleted = await cli('destinations', 'delete', 'failing', '--yes', '--json')
    expect(deleted.code, deleted.stderr).toBe(0)
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: true, deadLettered: 0 })
    expect((await cli('destinations', 'show', 'failing')).code).toBe(1)
  })
})
