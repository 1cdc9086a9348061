import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../support/databases.js'
import {
  type GatewayProcess,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from '../support/gateway-process.js'
import { envLines, jsonLines, runCli, startCli, tempDir } from './run-cli.js'

/**
 * `tail` against the real gateway binary: events sent with `send` appear one line each (filtered
 * by the gateway), it reconnects when the gateway restarts, Ctrl-C exits 0, and a refused token or
 * a disabled admin API is one sentence with exit 1.
 */

const ADMIN_TOKEN = 'tail-test-admin-token-0123456789'

describe('tail', () => {
  const cwd = tempDir()
  const database = freshSqliteFile()
  let gateway: GatewayProcess
  let keys: Record<string, string>
  let env: Record<string, string>
  const cli = (...args: string[]) => runCli(args, { cwd: cwd.path, env })
  const tail = (...args: string[]) => startCli(['tail', ...args], { cwd: cwd.path, env })

  beforeAll(async () => {
    const generated = await runCli(['keys', 'generate'], { cwd: cwd.path })
    expect(generated.code, generated.stderr).toBe(0)
    keys = envLines(generated.stdout)
    gateway = await startGatewayProcess({ databaseUrl: database.url, env: { ...keys, ADMIN_TOKEN } })
    env = { PORT: String(gateway.port), ADMIN_TOKEN }
  })
  afterAll(async () => {
    await gateway?.stop()
    await stopAllGatewayProcesses()
    database.remove()
    cwd.remove()
  })

  it('prints one line per event sent, filters on the gateway, and exits 0 on Ctrl-C', async () => {
    const all = tail()
    const contacts = tail('--type', 'ContactCreate', '--location', 'loc_tail', '--json')
    const opportunities = tail('--type', 'opportunity.*')
    for (const t of [all, contacts, opportunities])
      await t.waitFor(/streaming http:\/\/127\.0\.0\.1:\d+ .*Ctrl-C to stop/, { stream: 'stderr' })

    const sent = await cli('send', 'ContactCreate', '--count', '3', '--set', 'locationId=loc_tail', '--json')
    expect(sent.code, sent.stderr).toBe(0)
    const three = jsonLines(sent.stdout)
    expect(three).toHaveLength(3)
    const other = await cli('send', 'OpportunityCreate', '--json')
    expect(other.code, other.stderr).toBe(0)
    const [opportunity] = jsonLines(other.stdout)

    await all.waitFor(new RegExp(String(opportunity!.eventId)))
    const lines = all.stdout().trim().split('\n')
    expect(lines).toHaveLength(4)
    three.forEach((event, i) => {
      // time, outcome, type (name), webhookId, locationId, event id — plain text: not a terminal.
      expect(lines[i]).toBe(
        `${lines[i]!.slice(0, 12)}  accepted   contact.created (ContactCreate)  webhookId ${event.webhookId}  location loc_tail  ${event.eventId}`,
      )
      expect(lines[i]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} /)
    })
    expect(lines[3]).toContain('opportunity.created (OpportunityCreate)')

    await opportunities.waitFor(new RegExp(String(opportunity!.eventId)))
    expect(opportunities.stdout().trim().split('\n')).toHaveLength(1)
    await contacts.waitFor(new RegExp(String(three[2]!.eventId)))
    const json = jsonLines(contacts.stdout())
    expect(json.map((e) => e.id)).toEqual(three.map((e) => e.eventId))
    expect(json[0]).toMatchObject({
      kind: 'event',
      outcome: 'accepted',
      locationId: 'loc_tail',
      name: 'ContactCreate',
    })

    for (const t of [all, contacts, opportunities]) {
      const result = await t.stop('SIGINT')
      expect(result.code).toBe(0)
    }
  })

  it('says so on stderr and reconnects when the gateway restarts', async () => {
    const t = tail('--json')
    await t.waitFor(/streaming/, { stream: 'stderr' })
    await gateway.stop()
    await t.waitFor(/reconnecting in/, { stream: 'stderr' })
    gateway = await startGatewayProcess({
      databaseUrl: database.url,
      port: gateway.port,
      env: { ...keys, ADMIN_TOKEN },
    })
    await t.waitFor(/reconnected to http:\/\/127\.0\.0\.1/, { stream: 'stderr', timeoutMs: 15_000 })
    const sent = await cli('send', 'ContactDelete', '--json')
    const [event] = jsonLines(sent.stdout)
    await t.waitFor(new RegExp(String(event!.eventId)))
    expect((await t.stop()).code).toBe(0)
  })

  it('a wrong token or a disabled admin API is one sentence and exit 1', async () => {
    const wrong = await runCli(['tail'], { cwd: cwd.path, env: { ...env, ADMIN_TOKEN: 'nope' } })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr.trim()).toBe(
      "ghl-gateway: the gateway refused the admin token; pass --token or set ADMIN_TOKEN to the gateway's value",
    )
    const closed = await runCli(['tail', '--url', 'http://127.0.0.1:9'], { cwd: cwd.path, env })
    expect(closed.code).toBe(1)
    expect(closed.stderr).toMatch(/no gateway answers at http:\/\/127\.0\.0\.1:9 .*start one/)

    const plain = freshSqliteFile()
    const noAdmin = await startGatewayProcess({ databaseUrl: plain.url })
    try {
      const disabled = await runCli(['tail', '--url', noAdmin.url], { cwd: cwd.path, env })
      expect(disabled.code).toBe(1)
      expect(disabled.stderr.trim()).toBe(
        "ghl-gateway: the gateway's admin API is disabled; restart it with ADMIN_TOKEN set",
      )
    } finally {
      await noAdmin.stop()
      plain.remove()
    }
  })
})
