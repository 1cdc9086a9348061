import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**', 'test/chaos/**'],
    pool: 'forks',
    globalSetup: ['test/support/global-postgres.ts'],
    // A test that leaves a gateway unreleased fails, naming what it still holds.
    setupFiles: ['test/support/leak-check.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Fail on a leaked handle rather than hang CI.
    teardownTimeout: 10_000,
  },
})
