// Writes docs/events.md from the event catalog (src/catalog/registry.ts).
//   npx tsx scripts/generate-events-doc.ts          regenerate
//   npx tsx scripts/generate-events-doc.ts --check  exit 1 when the committed file is stale (CI)
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderEventsDoc } from '../src/catalog/events-doc.js'

const target = fileURLToPath(new URL('../docs/events.md', import.meta.url))
const next = renderEventsDoc()

if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : ''
  if (current !== next) {
    console.error(
      'docs/events.md is stale: the event catalog changed. Run `npx tsx scripts/generate-events-doc.ts`.',
    )
    process.exit(1)
  }
  console.log('docs/events.md is up to date')
} else {
  writeFileSync(target, next)
  console.log(`wrote ${target}`)
}
