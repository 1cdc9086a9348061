import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/index.js'
import { ConfigError } from '../src/config-error.js'
import { runCli } from './cli/run-cli.js'
import { createDestinationEngine, type DestinationEngine } from './support/destinations.js'
import type { StoreKind } from './support/test-app.js'

/**
 * Header values and names a destination's auth and headers may not hold, refused when the
 * document is created (POST /api/destinations, 400, nothing stored) and when the config file is
 * loaded at boot: a CR/LF would inject a header (or fail every delivery), a reserved name would
 * forge one the gateway sets (`Host`, `webhook-id`, `Transfer-Encoding`).
 */

const VALUE_RULE = 'header values are one line of text: no CR, LF, NUL or other control characters'
const base = { url: 'https://hooks.example.com/ghl', events: ['*'] }

// [what, the destination's fields, the field named in the error, what the error says]
const FORBIDDEN: [string, Record<string, unknown>, string, string][] = [
  [
    'bearer token with CR/LF',
    { auth: { type: 'bearer', token: 'tok\r\nx-injected: 1' } },
    'auth.token',
    VALUE_RULE,
  ],
  [
    'bearer token with LF',
    { auth: { type: 'bearer', token: 'tok\nx-injected: 1' } },
    'auth.token',
    VALUE_RULE,
  ],
  ['bearer token with NUL', { auth: { type: 'bearer', token: 'tok\u0000' } }, 'auth.token', VALUE_RULE],
  ['bearer token beyond Latin-1', { auth: { type: 'bearer', token: 'tok-契約' } }, 'auth.token', VALUE_RULE],
  [
    'bearer token from an env variable with CR/LF',
    { auth: { type: 'bearer', token: `\${INJECTING_TOKEN}` } },
    'auth.token',
    VALUE_RULE,
  ],
  [
    'apiKey value with CR/LF',
    { auth: { type: 'apiKey', header: 'X-Api-Key', value: 'k\r\nx-injected: 1' } },
    'auth.value',
    VALUE_RULE,
  ],
  [
    'apiKey value beyond Latin-1',
    { auth: { type: 'apiKey', header: 'X-Api-Key', value: 'k🎉' } },
    'auth.value',
    VALUE_RULE,
  ],
  [
    'apiKey header Host',
    { auth: { type: 'apiKey', header: 'Host', value: 'evil.example' } },
    'auth.header',
    'the gateway sets host itself; it cannot be configured',
  ],
  [
    'apiKey header webhook-id',
    { auth: { type: 'apiKey', header: 'webhook-id', value: 'forged' } },
    'auth.header',
    'the gateway sets webhook-id itself',
  ],
  [
    'apiKey header Transfer-Encoding',
    { auth: { type: 'apiKey', header: 'Transfer-Encoding', value: 'chunked' } },
    'auth.header',
    'the gateway sets transfer-encoding itself',
  ],
  [
    'apiKey header Content-Length',
    { auth: { type: 'apiKey', header: 'Content-Length', value: '0' } },
    'auth.header',
    'the gateway sets content-length itself',
  ],
  [
    'apiKey header User-Agent',
    { auth: { type: 'apiKey', header: 'User-Agent', value: 'x' } },
    'auth.header',
    'the gateway sets user-agent itself',
  ],
  [
    'apiKey header Webhook-Signature',
    { auth: { type: 'apiKey', header: 'Webhook-Signature', value: 'v1,x' } },
    'auth.header',
    'the gateway sets webhook-signature itself',
  ],
  [
    'apiKey header X-Gateway-Event-Type',
    { auth: { type: 'apiKey', header: 'X-Gateway-Event-Type', value: 'x' } },
    'auth.header',
    'the gateway sets x-gateway-event-type itself',
  ],
  [
    'apiKey header that is not a header name',
    { auth: { type: 'apiKey', header: 'X Api: 1', value: 'x' } },
    'auth.header',
    'must be an HTTP header name',
  ],
  [
    'apiKey header also set in headers',
    { auth: { type: 'apiKey', header: 'X-Api-Key', value: 'a' }, headers: { 'x-api-key': 'b' } },
    'headers',
    'auth sets x-api-key; remove it from headers',
  ],
  ['header value with CR/LF', { headers: { 'X-Team': 'a\r\nx-injected: 1' } }, 'headers.X-Team', VALUE_RULE],
  ['header value beyond Latin-1', { headers: { 'X-Team': '契約' } }, 'headers.X-Team', VALUE_RULE],
  ['header Host', { headers: { Host: 'evil.example' } }, 'headers.host', 'the gateway sets host itself'],
  // The attempt's trace context: a configured one would forge or split it.
  [
    'header tracestate',
    { headers: { tracestate: 'vendor=forged' } },
    'headers.tracestate',
    'the gateway sets tracestate itself',
  ],
]

const env = { INJECTING_TOKEN: 'tok\r\nx-injected: 1' }

describe.each<StoreKind>(['sqlite', 'postgres'])('POST /api/destinations on %s', (kind) => {
  let engine: DestinationEngine
  beforeAll(async () => {
    engine = await createDestinationEngine(kind, { env })
  })
  afterAll(async () => {
    await engine.close()
  })

  it.each(FORBIDDEN)('refuses %s with 400, stores nothing', async (what, fields, path, says) => {
    const id = `d-${FORBIDDEN.findIndex(([w]) => w === what)}`
    const answer = await engine.api('POST', '/api/destinations', { id, ...base, ...fields })
    expect(answer.status).toBe(400)
    expect(answer.json.error.code).toBe('invalid_request')
    expect(answer.json.error.message).toContain(`${path}: ${says}`)
    expect(answer.json.error.message).not.toMatch(/x-injected|tok-契約|evil\.example|forged/)
    expect(await engine.store.getDestination(id)).toBeUndefined()
    const listed = (await engine.api('GET', '/api/destinations')).json.data.map((d: { id: string }) => d.id)
    expect(listed).not.toContain(id)
  })
})

describe('the config file at boot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-header-rules-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.each(FORBIDDEN)('refuses %s, saying what to fix', (what, fields, path, says) => {
    const file = join(dir, `${FORBIDDEN.findIndex(([w]) => w === what)}.json`)
    writeFileSync(file, JSON.stringify({ destinations: [{ id: 'd', ...base, ...fields }] }))
    let error: unknown
    try {
      loadConfig({ env: { ...env, GATEWAY_CONFIG: file }, cwd: dir })
    } catch (thrown) {
      error = thrown
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toContain(`destinations.0.${path}: ${says}`)
  })

  it('`serve` stops with the sentence and exit code 2, before touching the database', async () => {
    const file = join(dir, 'serve.json')
    writeFileSync(
      file,
      JSON.stringify({
        destinations: [{ id: 'd', ...base, auth: { type: 'apiKey', header: 'Host', value: 'evil.example' } }],
      }),
    )
    const result = await runCli(['serve'], {
      cwd: dir,
      env: { GATEWAY_CONFIG: file, DATABASE_URL: `sqlite:${join(dir, 'never.db')}`, PORT: '0' },
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(
      'destinations.0.auth.header: the gateway sets host itself; it cannot be configured',
    )
    expect(existsSync(join(dir, 'never.db'))).toBe(false)
  })
})
