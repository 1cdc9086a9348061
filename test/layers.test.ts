import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * The dependency rule (docs/architecture.md, "Layers"): a file in src/ imports only from its own
 * layer or lower ones, and only src/store/ asks which store it has. Written as a small test rather
 * than with dependency-cruiser: the rule is one ordered list, `ts.preProcessFile` (typescript is
 * already here) sees every kind of import — static, `import type`, `export … from`, dynamic
 * `import()` and `import('…')` types — and the message can say exactly what to do.
 *
 * Bottom to top. A folder not listed here fails the test: place it before it gets files.
 */
const LAYERS: readonly { name: string; holds: readonly string[] }[] = [
  // Files directly in src/ not named by the composition root below.
  { name: 'ground floor', holds: [] },
  { name: 'catalog and verify', holds: ['catalog', 'verify'] },
  { name: 'store', holds: ['store'] },
  { name: 'observe', holds: ['observe'] },
  // The GHL app platform: tokens (store rows, metrics) below the attempt context that will carry ctx.ghl.
  { name: 'ghl', holds: ['ghl'] },
  { name: 'dispatch', holds: ['dispatch'] },
  { name: 'deliver', holds: ['deliver'] },
  { name: 'destinations', holds: ['destinations'] },
  { name: 'config', holds: ['config'] },
  { name: 'receive', holds: ['receive'] },
  { name: 'api', holds: ['api'] },
  { name: 'cli', holds: ['cli'] },
  {
    name: 'composition root',
    holds: [
      'assemble.ts',
      'error-replies.ts',
      'app.ts',
      'gateway.ts',
      'server.ts',
      'index.ts',
      'fastify-plugin.ts',
    ],
  },
]

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')
const SOURCE = /\.(ts|mts|mjs)$/
/** Tests may exercise a module with real parts from above it (GHL fixtures, a real store). */
const TEST = /\.(test|typecheck)\.ts$/

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return SOURCE.test(name) && !TEST.test(name) ? [path] : []
  })
}

/** The layer of a file under src/: the top-level file itself, else its first folder, else ground. */
function layerOf(path: string): number {
  const [first, ...rest] = relative(SRC, path).split('/')
  const byName = LAYERS.findIndex((layer) => layer.holds.includes(first!))
  if (byName >= 0) return byName
  if (rest.length === 0) return 0
  throw new Error(
    `src/${first}/ is in no layer: add it to LAYERS in test/layers.test.ts and to docs/architecture.md`,
  )
}

/** Relative imports resolved to files under src/; packages and node: builtins are not layered. */
function imports(path: string): { spec: string; target: string }[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true)
  return importedFiles
    .map((file) => file.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ spec, target: resolve(dirname(path), spec) }))
    .filter(({ target }) => !relative(SRC, target).startsWith('..'))
}

function upwardImports(files: string[] = sourceFiles(SRC)): string[] {
  const problems: string[] = []
  for (const file of files) {
    const from = layerOf(file)
    for (const { spec, target } of imports(file)) {
      const to = layerOf(target)
      if (to <= from) continue
      problems.push(
        `src/${relative(SRC, file)} (${LAYERS[from]!.name}) imports '${spec}' (${LAYERS[to]!.name}), ` +
          `a higher layer. Move what it needs down to ${LAYERS[from]!.name} or lower, or pass it in ` +
          `as a value or a type parameter (docs/architecture.md, "Layers").`,
      )
    }
  }
  return problems
}

/** `store.kind`, `this.store.kind`, `options.store?.kind`… outside src/store/. */
function storeKindUses(files: string[] = sourceFiles(SRC)): string[] {
  const storeFolder = join(SRC, 'store')
  return files
    .filter((file) => !file.startsWith(storeFolder + '/'))
    .flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /\bstore\??\.kind\b/i.test(line)
            ? [
                `src/${relative(SRC, file)}:${i + 1} asks which store it has (${line.trim()}). ` +
                  'Ask what you need to know instead: add it to StoreTraits in src/store/types.ts ' +
                  'and read store.traits.',
              ]
            : [],
        ),
    )
}

const UI = resolve(dirname(fileURLToPath(import.meta.url)), '../ui/src')

/**
 * Imports of src/ from the web console's source (ui/) that would pull server code (zod, node:)
 * into the browser bundle: a value may come only from a module that itself imports nothing but
 * types (a constant such as the delivery states), so a rule the console shares keeps one home.
 */
function uiValueImports(): string[] {
  return sourceFilesOf(UI).flatMap((file) => {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
    return source.statements.flatMap((statement) => {
      const spec =
        (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
        statement.moduleSpecifier &&
        ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : undefined
      if (!spec?.startsWith('.') || relative(SRC, resolve(dirname(file), spec)).startsWith('..')) return []
      const typeOnly = ts.isImportDeclaration(statement)
        ? statement.importClause?.isTypeOnly === true
        : (statement as ts.ExportDeclaration).isTypeOnly
      const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
      return typeOnly || importsOnlyTypes(target)
        ? []
        : [
            `ui/src/${relative(UI, file)} imports '${spec}' as a value, and that module imports code: the console may take values only from src/ modules that import nothing but types`,
          ]
    })
  })
}

/** True when every import and re-export of `file` is `import type` / `export type`. */
function importsOnlyTypes(file: string): boolean {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
  return source.statements.every((statement) => {
    if (ts.isImportDeclaration(statement)) return statement.importClause?.isTypeOnly === true
    if (ts.isExportDeclaration(statement)) return !statement.moduleSpecifier || statement.isTypeOnly
    return true
  })
}

function sourceFilesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFilesOf(path)
    return /\.tsx?$/.test(name) ? [path] : []
  })
}

describe('layers', () => {
  it('the web console (ui/) takes from src/ only types, and values of modules that import no code', () => {
    expect(uiValueImports()).toEqual([])
  })

  it('every import in src/ runs to the same layer or a lower one', () => {
    expect(upwardImports()).toEqual([])
  })

  it('nothing outside src/store/ asks which store it has', () => {
    expect(storeKindUses()).toEqual([])
  })

  it('sees static, type-only, re-exported and dynamic imports', () => {
    const { importedFiles } = ts.preProcessFile(
      [
        "import { a } from './a.js'",
        "import type { B } from './b.js'",
        "export { c } from './c.js'",
        "const d = await import('./d.js')",
        "type E = import('./e.js').E",
      ].join('\n'),
      true,
      true,
    )
    expect(importedFiles.map((f) => f.fileName).sort()).toEqual([
      './a.js',
      './b.js',
      './c.js',
      './d.js',
      './e.js',
    ])
  })
})
