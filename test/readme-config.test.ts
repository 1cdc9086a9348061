import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/index.js'

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
