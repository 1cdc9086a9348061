import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * The web console's build: `npm run build` runs it after the server's, into dist/ui/ (served at
 * /ui by src/api/console-routes.ts). What the gateway's CSP needs from it:
 * - relative references (`base: './'`): the console works under any path prefix;
 * - nothing inline: no inlined assets, no module-preload polyfill (a script the CSP would refuse);
 * - hashed file names under assets/, which the gateway caches as immutable.
 * JSX is compiled by Vite's own transform for Preact: no Babel, no plugin.
 */
const here = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui/', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    reportCompressedSize: false,
  },
})
