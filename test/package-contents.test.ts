import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

/**
 * What `npm publish` would ship, read from `npm pack --dry-run` (after `npm test`'s build; scripts
 * are skipped so it does not build again): the built package, its docs and licence, every file the
 * `exports` map and `bin` name — and none of the repository's tests, benchmarks, examples or sources.
 */

interface PackEntry {
  files: { path: string }[]
  unpackedSize: number
}

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>
  bin: Record<string, string>
}

/** Every file the exports map points at: `./dist/index.js` → `dist/index.js`. */
function exportTargets(): string[] {
  return Object.values(manifest.exports)
    .flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
    .concat(Object.values(manifest.bin))
    .map((path) => path.replace(/^\.\//, ''))
}

describe('the published package', () => {
  it('holds dist (source maps with their sources inlined), the built console, docs, README, LICENSE and CHANGELOG — no tests, benchmarks or sources', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: new URL('..', import.meta.url),
      maxBuffer: 16 * 1024 * 1024,
    })
    const [pack] = JSON.parse(stdout) as PackEntry[]
    const files = new Set(pack!.files.map((file) => file.path))

    for (const path of [
      ...exportTargets(),
      'dist/ui/index.html',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'docs/errors.md',
      'docs/operations.md',
      'docs/openapi.json',
    ]) {
      expect(files, path).toContain(path)
    }
    expect(exportTargets()).toContain('dist/fastify-plugin.js')

    const unwanted = [...files].filter(
      (path) =>
        /^(test|bench|src|examples|scripts|ui|\.ci)\//.test(path) ||
        /\.test\.[cm]?js$/.test(path) ||
        /^docs\/console\/.*\.png$/.test(path) ||
        path.includes('node_modules/'),
    )
    expect(unwanted).toEqual([])
    // Without src/ in the package, a source map helps a debugger or --enable-source-maps only if it
    // carries the sources itself (tsconfig.build.json: inlineSources).
    expect(files).toContain('dist/gateway.js.map')
    const map = JSON.parse(await readFile(new URL('../dist/gateway.js.map', import.meta.url), 'utf8')) as {
      sourcesContent?: string[]
    }
    expect(map.sourcesContent?.[0]).toContain('export function createGateway(')
    // Everything above is a few MB; a stray database, WAL or bench result would show here first.
    expect(pack!.unpackedSize).toBeLessThan(10 * 1024 * 1024)
  })
})
