import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { runCli } from './cli/run-cli.js'
import { createDestinationEngine, type DestinationEngine } from './support/destinations.js'
import { type Sink, startSink } from './support/sink.js'
import type { StoreKind } from './support/test-app.js'

/**
 * What the admin API shows of a destination: no query value of its URL and no custom header
 * value (unless the header is listed in `publicHeaders`), in any answer; a PUT of the document it
 * shows keeps the stored values; the config file's destinations are stored that way too; and a
 * boot error never prints a URL's secret.
 */

const ref = (name: string) => `\${${name}}`
const SECRETS = ['QUERY-SECRET-1', 'QUERY-SECRET-2', 'HEADER-SECRET', 'ENV-QUERY-VALUE']

describe.each<StoreKind>(['sqlite', 'postgres'])('destination secrets on %s', (kind) => {
  const engines: DestinationEngine[] = []
  const sinks: Sink[] = []
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.close()
    for (const sink of sinks.splice(0)) await sink.close()
  })
  const setup = async (options: Parameters<typeof createDestinationEngine>[1] = {}) => {
    const sink = await startSink()
    sinks.push(sink)
    const engine = await createDestinationEngine(kind, { env: { QUERY_ENV: 'ENV-QUERY-VALUE' }, ...options })
    engines.push(engine)
    return { sink, engine }
  }
  const query = `key=QUERY-SECRET-1&key=QUERY-SECRET-2&flag&empty=&env=${ref('QUERY_ENV')}`
  const shownQuery = `key=***&key=***&flag&empty=&env=${ref('QUERY_ENV')}`

  it('GET shows query keys but not their values, and no custom header value unless public', async () => {
    const { sink, engine } = await setup()
    const created = await engine.api('POST', '/api/destinations', {
      id: 'hook',
      url: `${sink.url}?${query}`,
      events: ['*'],
      headers: { 'X-Api': 'HEADER-SECRET', 'X-Team': 'growth' },
      publicHeaders: ['x-team'],
    })
    expect(created.status).toBe(201)
    const shown = (await engine.api('GET', '/api/destinations/hook')).json
    expect(shown.definition).toMatchObject({
      url: `${sink.url}?${shownQuery}`,
      headers: { 'X-Api': '***', 'X-Team': 'growth' },
      publicHeaders: ['x-team'],
    })
    const answers = [created.json, shown, (await engine.api('GET', '/api/destinations')).json]
    for (const secret of SECRETS) expect(JSON.stringify(answers)).not.toContain(secret)
  })

  it('a PUT of the GET document keeps the stored query values and header values', async () => {
    const { sink, engine } = await setup()
    await engine.api('POST', '/api/destinations', {
      id: 'hook',
      url: `${sink.url}?${query}`,
      events: ['contact.*'],
      headers: { 'X-Api': 'HEADER-SECRET' },
    })
    const document = (await engine.api('GET', '/api/destinations/hook')).json.definition
    const edited = await engine.api('PUT', '/api/destinations/hook', { ...document, events: ['*'] })
    expect(edited.status).toBe(200)
    expect(edited.json.definition.url).toBe(`${sink.url}?${shownQuery}`)

    await engine.send({ type: 'OpportunityCreate' })
    await engine.drain()
    expect(sink.requests).toHaveLength(1)
    expect(sink.requests[0]!.url).toBe(
      '/hook?key=QUERY-SECRET-1&key=QUERY-SECRET-2&flag&empty=&env=ENV-QUERY-VALUE',
    )
    expect(sink.requests[0]!.headers['x-api']).toBe('HEADER-SECRET')
    // Stored as given: the values, and the env reference as a reference.
    const stored = (await engine.store.getDestination('hook'))!.definition
    expect(stored.url).toBe(`${sink.url}?${query}`)

    // A new value replaces the stored one; *** for a parameter that was never stored is refused.
    const changed = await engine.api('PUT', '/api/destinations/hook', {
      ...document,
      url: document.url.replace('key=***', 'key=NEW-VALUE'),
    })
    expect(changed.status).toBe(200)
    expect((await engine.store.getDestination('hook'))!.definition.url).toBe(
      `${sink.url}?key=NEW-VALUE&key=QUERY-SECRET-2&flag&empty=&env=${ref('QUERY_ENV')}`,
    )
    const unknown = await engine.api('PUT', '/api/destinations/hook', {
      ...document,
      url: `${document.url}&other=***`,
    })
    expect(unknown.status).toBe(400)
    expect(unknown.json.error.message).toContain(
      'url: "***" keeps a stored secret, and there is none to keep',
    )
    const fresh = await engine.api('POST', '/api/destinations', { ...document, id: 'copy' })
    expect(fresh.status).toBe(400)
    expect(fresh.json.error.message).toContain('headers.X-Api, url: send the secret, not "***"')
  })

  it('config-file destinations are stored without query values or header values', async () => {
    const sink = await startSink()
    sinks.push(sink)
    const engine = await createDestinationEngine(kind, {
      configured: [
        {
          id: 'from-file',
          url: `${sink.url}?key=QUERY-SECRET-1`,
          events: ['*'],
          headers: { 'X-Api': 'HEADER-SECRET', 'X-Team': 'growth' },
          publicHeaders: ['X-Team'],
        },
      ],
    })
    engines.push(engine)
    const stored = JSON.stringify((await engine.store.getDestination('from-file'))!.definition)
    const shown = JSON.stringify((await engine.api('GET', '/api/destinations/from-file')).json)
    for (const text of [stored, shown]) {
      for (const secret of SECRETS) expect(text).not.toContain(secret)
      expect(text).toContain('?key=***')
      expect(text).toContain('"x-team":"growth"')
    }
    // It still runs with its secrets.
    await engine.send()
    await engine.drain()
    expect(sink.requests[0]).toMatchObject({ url: '/hook?key=QUERY-SECRET-1' })
    expect(sink.requests[0]!.headers['x-api']).toBe('HEADER-SECRET')
  })
})

describe('boot errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-redaction-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const serve = async (name: string, text: string) => {
    const file = join(dir, name)
    writeFileSync(file, text)
    return runCli(['serve'], {
      cwd: dir,
      env: { GATEWAY_CONFIG: file, DATABASE_URL: `sqlite:${join(dir, 'never.db')}`, PORT: '0' },
    })
  }

  it.each([
    [
      'a URL that is not absolute',
      'bad-url.yaml',
      'destinations:\n  - id: d\n    url: hooks.example.com/ghl?key=BOOT-SECRET\n    events: ["*"]\n',
      'destinations.0.url: not an absolute URL; write it in full',
    ],
    [
      'a URL with credentials',
      'userinfo.yaml',
      'destinations:\n  - id: d\n    url: https://user:BOOT-SECRET@hooks.example.com/ghl\n    events: ["*"]\n',
      'destinations.0.url: put credentials in auth',
    ],
    [
      'a YAML syntax error on the URL line',
      'syntax.yaml',
      'destinations:\n  - id: d\n    url: https://hooks.example.com/ghl?key=BOOT-SECRET: x\n    events: ["*"]\n',
      'at line 3, column 10',
    ],
    [
      'a JSON syntax error in the URL',
      'syntax.json',
      '{"destinations": [{"id": "d", "url": https://hooks.example.com/ghl?key=BOOT-SECRET}]}',
      "could not be read: Unexpected token 'h' (not valid JSON)",
    ],
  ])('%s: says what to fix without printing the secret', async (_what, name, text, says) => {
    const result = await serve(name, text)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(says)
    expect(result.stderr + result.stdout).not.toContain('BOOT-SECRET')
  })
})
