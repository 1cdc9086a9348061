import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderEventsDoc } from './events-doc.js'
import { CATALOG } from './registry.js'

describe('docs/events.md', () => {
  it('is what scripts/generate-events-doc.ts generates from the registry', () => {
    const committed = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8')
    // On failure: run `npx tsx scripts/generate-events-doc.ts` and commit the result.
    expect(committed).toBe(renderEventsDoc())
  })

  it('lists every event once in the table', () => {
    const rows = renderEventsDoc()
      .split('\n')
      .filter((line) => /^\| `[A-Z][A-Za-z]+` \|/.test(line))
    expect(rows.map((row) => row.split('`')[1])).toEqual(CATALOG.map((e) => e.name))
  })
})
