import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createTypeMapper } from '../src/catalog/index.js'
import { envSchema } from '../src/config/env.js'
import { loadConfig } from '../src/config/index.js'
import { buildPayload } from '../src/destinations/http/payload.js'
import { classifyGhl } from '../src/receive/classify-event.js'
import { sampleEvent } from './support/sample-event.js'

/** Every YAML example in the README loads with the real config loader: the docs stay true. */
describe('README config examples', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)

  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3)
  })

  it.each(blocks.map((block, i) => [i, block] as const))('example %i loads', (_i, block) => {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-readme-'))
    const path = join(dir, 'ghl-gateway.config.yaml')
    writeFileSync(path, block)
    // Every ${NAME} the example refers to, set to something plausible for its kind.
    const env: Record<string, string> = { GATEWAY_CONFIG: path }
    for (const [, name] of block.matchAll(/\$\{([A-Z0-9_]+)\}/g)) {
      env[name!] = name!.includes('WHSEC')
        ? `whsec_${Buffer.alloc(32, 7).toString('base64')}`
        : `value-of-${name}`
    }
    expect(() => loadConfig({ env, cwd: dir })).not.toThrow()
  })
})

describe('README: destination templates', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

  it('documents the template key with an example that sends what the README says', () => {
    // The YAML example with `payload: template`, then the GHL body it is shown with, then what it sends.
    const example =
      /```yaml\n((?:(?!```)[\s\S])*payload: template[\s\S]*?)```[\s\S]*?```json\n([\s\S]*?)```[\s\S]*?```json\n([\s\S]*?)```/.exec(
        readme,
      )
    expect(example, 'a yaml example with payload: template, then two json blocks').not.toBeNull()
    const [, yaml, input, output] = example!
    const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-readme-'))
    const path = join(dir, 'ghl-gateway.config.yaml')
    writeFileSync(path, yaml!)
    const [destination] = loadConfig({ env: { GATEWAY_CONFIG: path }, cwd: dir }).file.destinations
    expect(destination).toMatchObject({ payload: 'template', template: expect.any(Object) })

    const body = JSON.parse(input!)
    const rawBody = Buffer.from(JSON.stringify(body))
    const { fields } = classifyGhl(body, undefined, [])
    const event = { ...sampleEvent({ ...fields, rawBody }), seq: 1, bodyBytes: rawBody.length }
    const sent = buildPayload(
      destination!,
      { ...event, duplicateCount: 0, lastDuplicateAt: null },
      createTypeMapper(),
    )
    expect(sent.contentType).toBe('application/json')
    expect(JSON.parse(sent.body.toString('utf8'))).toEqual(JSON.parse(output!))
  })
})

describe('README: the configuration table', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

  it('has a row for every environment variable the gateway reads', () => {
    const rows = new Set([...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]))
    const missing = Object.keys(envSchema.shape).filter((name) => !rows.has(name))
    expect(missing, 'variables in src/config/env.ts without a README row').toEqual([])
  })
})
