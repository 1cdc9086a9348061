import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../support/databases.js'
import {
  type GatewayProcess,
  httpRequest,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from '../support/gateway-process.js'
import { envLines, jsonLines, runCli, tempDir } from './run-cli.js'

/**
 * `keys generate`, `send` and `events list|show|export` against the real gateway binary, started
 * with the env lines `keys generate` printed: the developer loop, signed like GHL signs.
 */

const ADMIN_TOKEN = 'cli-test-admin-token-0123456789'

describe('keys, send and events against a real gateway', () => {
  const cwd = tempDir()
  const database = freshSqliteFile()
  let gateway: GatewayProcess
  let env: Record<string, string>
  const cli = (...args: string[]) => runCli(args, { cwd: cwd.path, env })

  beforeAll(async () => {
    const generated = await runCli(['keys', 'generate'], { cwd: cwd.path })
    expect(generated.code, generated.stderr).toBe(0)
    const keys = envLines(generated.stdout)
    expect(Object.keys(keys).sort()).toEqual(['GHL_ED25519_PUBLIC_KEYS', 'GHL_RSA_PUBLIC_KEYS'])
    gateway = await startGatewayProcess({ databaseUrl: database.url, env: { ...keys, ADMIN_TOKEN } })
    env = { PORT: String(gateway.port), ADMIN_TOKEN }
  })
  afterAll(async () => {
    await gateway?.stop()
    await stopAllGatewayProcesses()
    database.remove()
    cwd.remove()
  })

  it('keys generate wrote 0600 private keys and refuses to overwrite them without --force', async () => {
    const dir = join(cwd.path, '.ghl-gateway', 'keys')
    for (const file of ['ed25519.pem', 'rsa.pem']) expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600)
    for (const file of ['ed25519.pub.pem', 'rsa.pub.pem']) expect(existsSync(join(dir, file))).toBe(true)
    const again = await cli('keys', 'generate')
    expect(again.code).toBe(2) // a usage error: the command line says what to do instead
    expect(again.stderr).toMatch(
      /keys already exist in \.ghl-gateway\/keys .*; use them \(`ghl-gateway keys env` prints their env lines\) or replace them with --force/,
    )
    const env2 = await cli('keys', 'env')
    expect(env2.code).toBe(0)
    expect(envLines(env2.stdout).GHL_ED25519_PUBLIC_KEYS).toMatch(/^MCow/)
  })

  it('send ContactCreate is accepted (Ed25519, X-GHL-Signature)', async () => {
    const result = await cli('send', 'ContactCreate')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^200 {2}accepted {2}evt_\w+ {2}ContactCreate .* ms$/m)
  })

  it('send --sign rsa is accepted (X-WH-Signature) and the gateway records the RSA key', async () => {
    const result = await cli('send', 'contact.created', '--sign', 'rsa', '--json')
    expect(result.code, result.stderr).toBe(0)
    const [line] = jsonLines(result.stdout)
    expect(line).toMatchObject({ status: 200, outcome: 'accepted', signature: 'rsa' })
    const stored = await api(`/api/events/${line!.eventId}`)
    expect(stored.verification).toMatchObject({ scheme: 'ghl-rsa', verified: true, keyId: line!.keyId })
  })

  it('send --sign none gets 401 and exits 1 with a sentence saying what to do', async () => {
    const result = await cli('send', 'ContactCreate', '--sign', 'none')
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^401 {2}missing_signature/m)
    expect(result.stderr).toMatch(/requires a signature/)
  })

  it('send --count 3 sends three events with fresh webhookIds', async () => {
    const result = await cli('send', 'OpportunityCreate', '--count', '3', '--json')
    expect(result.code, result.stderr).toBe(0)
    const lines = jsonLines(result.stdout)
    expect(lines.map((l) => l.outcome)).toEqual(['accepted', 'accepted', 'accepted'])
    expect(new Set(lines.map((l) => l.webhookId)).size).toBe(3)
    expect(new Set(lines.map((l) => l.eventId)).size).toBe(3)
  })

  it('send --set edits nested fields; --data sends a file byte for byte (again: duplicate)', async () => {
    const set = await cli(
      'send',
      'AppointmentCreate',
      '--set',
      'appointment.title=Demo call',
      '--set',
      'extra.n=42',
      '--json',
    )
    expect(set.code, set.stderr).toBe(0)
    const stored = await api(`/api/events/${jsonLines(set.stdout)[0]!.eventId}`)
    const body = stored.body as { appointment: { title: string }; extra: { n: number } }
    expect(body.appointment.title).toBe('Demo call')
    expect(body.extra.n).toBe(42)

    const file = join(cwd.path, 'body.json')
    writeFileSync(file, '{"type":"ContactDelete","locationId":"loc_1","id":"c_1","webhookId":"wh-data-1"}')
    const twice = await cli('send', '--data', file, '--count', '2', '--json')
    expect(twice.code, twice.stderr).toBe(0)
    const [first, second] = jsonLines(twice.stdout)
    expect(first).toMatchObject({ outcome: 'accepted' })
    expect(second).toMatchObject({ outcome: 'duplicate', eventId: first!.eventId })
    const raw = await api(`/api/events/${first!.eventId}`)
    expect(Buffer.from(raw.rawBody as string, 'base64').toString()).toBe(readFileSync(file, 'utf8'))
  })

  it('send InvoicePaid goes to /webhooks/ghl/InvoicePaid and is stored under that name', async () => {
    const result = await cli('send', 'InvoicePaid', '--json')
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/per-event URL .*\/webhooks\/ghl\/InvoicePaid/)
    const [line] = jsonLines(result.stdout)
    expect(line!.url).toBe(`${gateway.url}/webhooks/ghl/InvoicePaid`)
    const stored = await api(`/api/events/${line!.eventId}`)
    expect(stored).toMatchObject({ name: 'InvoicePaid', type: 'invoice.paid', eventHint: 'InvoicePaid' })
    // The CLI finds it by GHL name too.
    const listed = await cli('events', 'list', '--type', 'InvoicePaid', '--json')
    expect(listed.code, listed.stderr).toBe(0)
    const { data } = JSON.parse(listed.stdout) as { data: { id: string }[] }
    expect(data.map((e) => e.id)).toEqual([line!.eventId])
  })

  it('send --list --json lists the 77 catalog events', async () => {
    const result = await cli('send', '--list', '--json')
    expect(result.code).toBe(0)
    const list = JSON.parse(result.stdout) as { name: string; canonical: string; perEventUrl: boolean }[]
    expect(list).toHaveLength(77)
    expect(list.find((e) => e.name === 'InvoicePaid')).toMatchObject({
      canonical: 'invoice.paid',
      perEventUrl: true,
    })
    expect(list.find((e) => e.name === 'ContactCreate')).toMatchObject({ perEventUrl: false })
  })

  it('events list / show / export read the admin API', async () => {
    const all = (await api('/api/events?limit=500')).data as { id: string }[]
    expect(all.length).toBeGreaterThanOrEqual(8)

    const table = await cli('events', 'list', '--limit', '3')
    expect(table.code, table.stderr).toBe(0)
    const rows = table.stdout.trim().split('\n')
    expect(rows[0]).toMatch(/^RECEIVED +ID +TYPE/)
    expect(rows).toHaveLength(4)
    expect(rows[1]).toContain(all[0]!.id)
    expect(table.stderr).toMatch(/more: ghl-gateway events list --cursor \S+/)

    // More than one API page is walked when --limit asks for more than a page holds... or all there is.
    const json = await cli('events', 'list', '--limit', '1000', '--type', 'contact.created', '--json')
    const listed = JSON.parse(json.stdout) as { data: { type: string }[]; nextCursor: string | null }
    expect(listed.data.length).toBeGreaterThan(0)
    expect(listed.data.every((e) => e.type === 'contact.created')).toBe(true)
    expect(listed.nextCursor).toBeNull()

    const show = await cli('events', 'show', all[0]!.id)
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(new RegExp(`^${all[0]!.id}`))
    expect(show.stdout).toMatch(/verified +ghl-/)
    const showJson = JSON.parse((await cli('events', 'show', all[0]!.id, '--json')).stdout) as {
      rawBody: string
    }
    expect(showJson.rawBody.length).toBeGreaterThan(0)

    const out = join(cwd.path, 'export.ndjson')
    const exported = await cli('events', 'export', '--out', out)
    expect(exported.code, exported.stderr).toBe(0)
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(all.map((e) => e.id))
    expect(existsSync(`${out}.partial`)).toBe(false)

    const withBodies = await cli('events', 'export', '--bodies', '--type', 'InvoicePaid')
    const [invoice] = jsonLines(withBodies.stdout)
    expect(invoice).toMatchObject({ name: 'InvoicePaid' })
    expect(typeof invoice!.rawBody).toBe('string')
  })

  it('events list --search finds an id or body text; --status filters by delivery status', async () => {
    const [newest] = (await api('/api/events?limit=1')).data as { id: string; deliveryStatus: string }[]
    const byId = await cli('events', 'list', '--search', newest!.id, '--json')
    expect(byId.code, byId.stderr).toBe(0)
    expect((JSON.parse(byId.stdout) as { data: { id: string }[] }).data.map((e) => e.id)).toEqual([
      newest!.id,
    ])
    const byText = await cli('events', 'list', '--search', 'no such text anywhere', '--json')
    expect(JSON.parse(byText.stdout)).toMatchObject({ data: [], nextCursor: null })

    const table = await cli('events', 'list', '--status', newest!.deliveryStatus, '--limit', '1')
    expect(table.code, table.stderr).toBe(0)
    const [header, row] = table.stdout.trim().split('\n')
    expect(header).toMatch(/ DELIVERY /)
    expect(row).toContain(newest!.id)
    expect(row).toContain(newest!.deliveryStatus)
    const wrong = await cli('events', 'list', '--status', 'lost')
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toMatch(/failed, pending, discarded, delivered, none/)
  })

  it('events commands say what to do when the token is wrong, missing, or the id unknown', async () => {
    const wrong = await runCli(['events', 'list'], { cwd: cwd.path, env: { ...env, ADMIN_TOKEN: 'nope' } })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/refused the admin token; pass --token or set ADMIN_TOKEN/)
    const missing = await runCli(['events', 'list'], { cwd: cwd.path, env: { PORT: env.PORT! } })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/set ADMIN_TOKEN .* or pass --token/)
    const unknown = await cli('events', 'show', 'evt_unknown')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/404 not_found/)
  })

  it("events timeline prints a contact's events oldest first, with each change old → new", async () => {
    for (const email of ['one@example.com', 'two@example.com']) {
      const sent = await cli('send', 'ContactUpdate', '--set', 'id=cli_timeline_1', '--set', `email=${email}`)
      expect(sent.code, sent.stderr).toBe(0)
    }
    const printed = await cli('events', 'timeline', 'contact', 'cli_timeline_1')
    expect(printed.code, printed.stderr).toBe(0)
    const lines = printed.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^\S+Z {2}evt_\S+ {2}ContactUpdate$/)
    expect(lines[1]).toBe('  the first event of this entity the gateway has')
    expect(lines).toContain('  ~ email: "one@example.com" → "two@example.com"')
    const json = JSON.parse((await cli('events', 'timeline', 'contact', 'cli_timeline_1', '--json')).stdout)
    expect(json.data).toHaveLength(2)
  })

  async function api(path: string): Promise<Record<string, unknown>> {
    const answer = await httpRequest(`${gateway.url}${path}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(answer.status, answer.text).toBe(200)
    return answer.body as Record<string, unknown>
  }
})
