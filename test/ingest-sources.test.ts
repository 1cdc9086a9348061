import { createHash, createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/index.js'
import { createTestApp, type TestApp } from './support/test-app.js'

/**
 * Sources other than GHL, declared in a config file: each verify scheme end to end, form bodies,
 * sender ids as dedupe keys, and secrets that never reach the log.
 */

const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-sources-'))
const hmacSecret = randomBytes(24).toString('hex')
const standardSecret = `whsec_${randomBytes(32).toString('base64')}`
const formToken = `tok_${randomBytes(16).toString('hex')}`
const bearer = `bearer_${randomBytes(16).toString('hex')}`
const configPath = join(dir, 'ghl-gateway.config.yaml')
writeFileSync(
  configPath,
  `sources:
  - id: billing
    verify:
      scheme: hmac-sha256
      header: X-Signature
      prefix: "sha256="
      secrets: ["\${BILLING_SECRET}"]
      timestampHeader: X-Timestamp
      tolerance: 5m
    idHeader: X-Event-Id
  - id: crm
    verify: { scheme: standard-webhooks, secrets: ["\${CRM_SECRET}"] }
  - id: forms
    verify: { scheme: secret-url, tokens: ["\${FORMS_TOKEN}"] }
    idField: submission.id
  - id: workflow
    verify: { scheme: token, tokenScheme: bearer, tokens: [{ id: current, value: "\${WORKFLOW_TOKEN}" }] }
    contentTypes: [form]
  - id: open
    verify: { scheme: none }
    contentTypes: [json]
`,
)
const env = {
  GATEWAY_CONFIG: configPath,
  BILLING_SECRET: hmacSecret,
  CRM_SECRET: standardSecret,
  FORMS_TOKEN: formToken,
  WORKFLOW_TOKEN: bearer,
  ADMIN_TOKEN: 'sources-admin-token',
}

describe('configured sources', () => {
  let t: TestApp
  const post = (url: string, payload: string, headers: Record<string, string>) =>
    t.gateway.fastify.inject({ method: 'POST', url, payload, headers })

  beforeAll(async () => {
    t = await createTestApp('sqlite', env)
  })
  afterAll(async () => {
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('hmac-sha256 with a signed timestamp: accepts, dedupes on the id header, rejects stale and forged', async () => {
    const body = JSON.stringify({ invoice: 'in_1', amount: 42 })
    const sign = (ts: number, payload = body) =>
      `sha256=${createHmac('sha256', hmacSecret).update(`${ts}.${payload}`).digest('hex')}`
    const now = Math.floor(Date.now() / 1000)
    const headers = {
      'content-type': 'application/json',
      'x-timestamp': String(now),
      'x-event-id': 'evt-b-1',
    }

    const ok = await post('/webhooks/billing', body, { ...headers, 'x-signature': sign(now) })
    expect(ok.statusCode).toBe(200)
    const stored = await t.store.getEvent(ok.json().eventId)
    expect(stored).toMatchObject({
      source: 'billing',
      webhookId: 'evt-b-1',
      dedupeKey: 'evt-b-1',
      verification: { scheme: 'hmac-sha256', verified: true, keyId: 'secret[0]' },
      sentAt: new Date(now * 1000).toISOString(),
    })
    expect(stored!.headers['x-event-id']).toBe('evt-b-1')
    expect(stored!.headers['x-signature']).toMatch(/^sha256:[0-9a-f]{16}$/)

    const again = await post('/webhooks/billing', body, { ...headers, 'x-signature': sign(now) })
    expect(again.json()).toEqual({ status: 'duplicate', eventId: ok.json().eventId })

    const old = now - 3600
    const stale = await post('/webhooks/billing', body, {
      ...headers,
      'x-timestamp': String(old),
      'x-signature': sign(old),
    })
    expect(stale.statusCode).toBe(401)
    expect(stale.json().error.code).toBe('timestamp_out_of_tolerance')

    const forged = await post('/webhooks/billing', body, { ...headers, 'x-signature': sign(now, '{}') })
    expect(forged.statusCode).toBe(401)
    expect(forged.json().error.code).toBe('invalid_signature')
    expect((await post('/webhooks/billing', body, headers)).json().error.code).toBe('missing_signature')
  })

  it('standard-webhooks: signed by the reference library, deduped on webhook-id', async () => {
    const webhook = new Webhook(standardSecret)
    const body = JSON.stringify({ type: 'contact.updated', id: 'c_1' })
    const id = `msg_${randomBytes(8).toString('hex')}`
    const timestamp = new Date()
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': webhook.sign(id, timestamp, body),
    }
    const ok = await post('/webhooks/crm', body, headers)
    expect(ok.statusCode).toBe(200)
    expect(await t.store.getEvent(ok.json().eventId)).toMatchObject({
      webhookId: id,
      verification: { scheme: 'standard-webhooks', verified: true },
    })
    // A retry is signed again (new timestamp) but keeps webhook-id: a duplicate.
    const later = new Date(timestamp.getTime() + 2000)
    const retry = await post('/webhooks/crm', body, {
      ...headers,
      'webhook-timestamp': String(Math.floor(later.getTime() / 1000)),
      'webhook-signature': webhook.sign(id, later, body),
    })
    expect(retry.json()).toEqual({ status: 'duplicate', eventId: ok.json().eventId })

    const old = new Date(Date.now() - 3600_000)
    const stale = await post('/webhooks/crm', body, {
      ...headers,
      'webhook-id': 'msg_old',
      'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
      'webhook-signature': webhook.sign('msg_old', old, body),
    })
    expect(stale.json().error.code).toBe('timestamp_out_of_tolerance')
  })

  it('secret-url: the token in the path is the credential; the id comes from a body field', async () => {
    const body = JSON.stringify({ submission: { id: 'sub_77' }, email: 'a@b.c' })
    const ok = await post(`/webhooks/forms/${formToken}`, body, { 'content-type': 'application/json' })
    expect(ok.statusCode).toBe(200)
    expect(await t.store.getEvent(ok.json().eventId)).toMatchObject({
      webhookId: 'sub_77',
      verification: { scheme: 'secret-url', verified: true },
    })
    const wrong = await post('/webhooks/forms/not-the-token', body, { 'content-type': 'application/json' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json().error.code).toBe('invalid_signature')
    const absent = await post('/webhooks/forms', body, { 'content-type': 'application/json' })
    expect(absent.json().error.code).toBe('missing_signature')
  })

  it('token + form-encoded body (GHL workflow Custom Webhook style)', async () => {
    const body = 'contact_id=c9&tags=vip&tags=new&email=x%40y.z'
    const ok = await post('/webhooks/workflow', body, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Bearer ${bearer}`,
    })
    expect(ok.statusCode).toBe(200)
    const stored = await t.store.getEvent(ok.json().eventId)
    expect(stored!.rawBody.toString()).toBe(body)
    expect(stored!.verification).toMatchObject({ scheme: 'token', keyId: 'current' })
    // No sender id configured: identical bytes are the same event.
    expect(stored!.contentHash).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`)
    expect(stored!.dedupeKey).toBe(stored!.contentHash)
    // The admin API shows the fields, as handlers and destinations get them.
    const detail = await t.gateway.fastify.inject({
      url: `/api/events/${stored!.id}`,
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    })
    expect(detail.json().body).toEqual({ contact_id: 'c9', tags: ['vip', 'new'], email: 'x@y.z' })
    const json = await post('/webhooks/workflow', '{}', {
      'content-type': 'application/json',
      authorization: `Bearer ${bearer}`,
    })
    expect(json.statusCode).toBe(415)
    const bad = await post('/webhooks/workflow', body, {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Bearer nope',
    })
    expect(bad.json().error.code).toBe('invalid_signature')
  })

  it('a path token on a source that does not take one is 404, not a silent accept', async () => {
    const response = await post('/webhooks/open/anything', '{}', { 'content-type': 'application/json' })
    expect(response.statusCode).toBe(404)
    expect((await post('/webhooks/open', '{"a":1}', { 'content-type': 'application/json' })).statusCode).toBe(
      200,
    )
  })

  it('never writes a secret, token or signature into the log', async () => {
    const text = t.logs.text
    expect(text.length).toBeGreaterThan(500)
    for (const secret of [hmacSecret, standardSecret, formToken, bearer]) expect(text).not.toContain(secret)
    expect(text).not.toMatch(/sha256=[0-9a-f]{64}/)
    expect(text).not.toMatch(/v1,[A-Za-z0-9+/=]{40}/)
  })
})

describe('config file validation', () => {
  const write = (name: string, text: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'ghl-gateway-cfg-')), name)
    writeFileSync(path, text)
    return path
  }

  it('names a missing environment variable', () => {
    const path = write(
      'c.yaml',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file syntax is the subject
      'sources:\n  - id: a\n    verify: { scheme: token, tokens: ["${NOPE_NOT_SET}"] }\n',
    )
    expect(() => loadConfig({ env: { GATEWAY_CONFIG: path } })).toThrow(/\$\{NOPE_NOT_SET\}.*not set/)
  })

  it('rejects duplicate ids, the reserved ghl id, and bad schemes with the path of the problem', () => {
    const dup = write(
      'd.json',
      JSON.stringify({
        sources: [
          { id: 'a', verify: { scheme: 'none' } },
          { id: 'a', verify: { scheme: 'none' } },
        ],
      }),
    )
    expect(() => loadConfig({ env: { GATEWAY_CONFIG: dup } })).toThrow(
      /sources\.1\.id: duplicate source id "a"/,
    )
    const ghl = write('g.json', JSON.stringify({ sources: [{ id: 'ghl', verify: { scheme: 'none' } }] }))
    expect(() => loadConfig({ env: { GATEWAY_CONFIG: ghl } })).toThrow(/built-in GoHighLevel source/)
    const scheme = write('s.json', JSON.stringify({ sources: [{ id: 'x', verify: { scheme: 'md5' } }] }))
    expect(() => loadConfig({ env: { GATEWAY_CONFIG: scheme } })).toThrow(/sources\.0\.verify/)
  })

  it('explains bad environment values', () => {
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).toThrow(/PORT must be an integer from 0 to 65535/)
    expect(() => loadConfig({ env: { GHL_SIGNATURE_MODE: 'maybe' } })).toThrow(/one of require, off/)
    expect(() => loadConfig({ env: { GHL_TIMESTAMP_WINDOW: 'soon' } })).toThrow(/GHL_TIMESTAMP_WINDOW/)
    expect(() => loadConfig({ env: { GATEWAY_CONFIG: '/no/such/file.yaml' } })).toThrow(/does not exist/)
  })
})
