import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * `npm run chaos`: the full reliability suite (test/chaos/*.test.ts), one file at a time — the
 * scenarios kill processes, fill disks and saturate a shared 2-core machine, so running them side
 * by side would measure each other. The short versions run in `npm test` (test/reliability.test.ts).
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/chaos/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/support/global-postgres.ts', 'test/chaos/summary-setup.ts'],
    setupFiles: ['test/support/leak-check.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
})
