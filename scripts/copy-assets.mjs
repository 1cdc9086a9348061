// Copies the non-TypeScript files the runtime reads (SQL migrations, JSON fixtures, UI assets)
// from src/ to dist/, keeping their paths. tsc only emits .js/.d.ts.
import { cpSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src')
const dist = join(root, 'dist')
const ASSET = /\.(sql|json|html|css|mjs|mts)$/

if (existsSync(src)) {
  cpSync(src, dist, {
    recursive: true,
    filter: (from) => !from.endsWith('.ts') && (!/\.[a-z]+$/.test(from) || ASSET.test(from)),
  })
}
