import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../src/errors.js'

/** docs/errors.md and the error catalog list the same codes with the same statuses, both ways. */
describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
  const documented = new Map(
    [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const),
  )

  it('documents every code with its status', () => {
    for (const [code, status] of Object.entries(ERROR_CODES)) expect(documented.get(code), code).toBe(status)
  })

  it('documents no code the gateway does not have', () => {
    for (const code of documented.keys()) expect(Object.keys(ERROR_CODES), code).toContain(code)
  })
})
