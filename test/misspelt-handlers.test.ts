import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, createGateway, type Gateway } from '../src/index.js'
import { freshSqliteFile } from './support/databases.js'

/**
 * Library mode: a handler whose pattern is a typo of an event name would never run. `listen()`
 * refuses it with the nearest names, before it opens the database; patterns that can match, and
 * other sources' own types, start as before. (The type-level half is in src/catalog/types.typecheck.ts.)
 */

const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function gateway(configYaml?: string): { gw: Gateway; databaseFile: string } {
  const file = freshSqliteFile()
  cleanups.push(file.remove)
  const env: Record<string, string> = { LOG_LEVEL: 'silent' }
  if (configYaml) {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-handlers-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    env.GATEWAY_CONFIG = join(dir, 'ghl-gateway.config.yaml')
    writeFileSync(env.GATEWAY_CONFIG, configYaml)
  }
  const gw = createGateway({ database: file.url, env, host: '127.0.0.1', port: 0 })
  cleanups.push(() => gw.close())
  return { gw, databaseFile: file.path }
}

const refusal = async (gw: Gateway): Promise<Error> => {
  const error = await gw.listen().then(
    () => undefined,
    (e: unknown) => e as Error,
  )
  expect(error).toBeInstanceOf(ConfigError)
  return error!
}

describe('gw.on with a misspelt event name', () => {
  it.each([
    [
      'ContactCreat',
      'gw.on(): handler handler:ContactCreat: "ContactCreat" matches no event; did you mean "ContactCreate"?',
    ],
    ['contact.creatd', '"contact.creatd" matches no event; did you mean "contact.created"?'],
    ['contacts.*', '"contacts.*" matches no event; did you mean "contact.*"?'],
    [
      'gateway.delivery.dead_leterd',
      '"gateway.delivery.dead_leterd" matches no event; did you mean "gateway.delivery.dead_lettered"?',
    ],
  ])('%s is refused at listen, before the database is opened', async (pattern, sentence) => {
    const { gw, databaseFile } = gateway()
    gw.on(pattern as string, async () => {})
    expect((await refusal(gw)).message).toContain(sentence)
    expect(existsSync(databaseFile)).toBe(false)
  })

  it('a renamed type is a name: its typo is refused, the type and its wildcards are not', async () => {
    const renames = 'renames:\n  contact.created: myapp.contact.ingested\n'
    const typo = gateway(renames)
    typo.gw.on('myapp.contact.ingestd', async () => {})
    expect((await refusal(typo.gw)).message).toContain('did you mean "myapp.contact.ingested"?')

    const { gw } = gateway(renames)
    gw.on('myapp.contact.ingested', async () => {})
    gw.on('myapp.*', async () => {})
    gw.on('contact.created', async () => {})
    gw.on('ContactCreate', async () => {})
    gw.on('unknown', async () => {})
    gw.onAny(async () => {})
    // Operational events are known names too (catalog/gateway-events.ts), with their wildcards.
    gw.on('gateway.delivery.dead_lettered', async () => {})
    gw.on('gateway.destination.*', async () => {})
    gw.on('gateway.*', async () => {})
    await gw.listen()
    expect(gw.running).toBeDefined()
  })

  it("another source's own types start: far from every name, or with sources that leave out ghl", async () => {
    const { gw } = gateway()
    gw.on('payment_intent.succeeded', async () => {})
    gw.on('contact.creatd', async () => {}, { sources: ['billing'] })
    gw.on('AUTHORISATION', async () => {}, { sources: ['adyen'] })
    await gw.listen()
    expect(gw.running).toBeDefined()
  })

  it('sources that include ghl are checked', async () => {
    const { gw } = gateway()
    gw.on('contact.creatd', async () => {}, { sources: ['billing', 'ghl'] })
    expect((await refusal(gw)).message).toContain('did you mean "contact.created"?')
  })
})
