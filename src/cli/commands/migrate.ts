import type { Command } from 'commander'
import { loadConfig } from '../../config/index.js'

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply database migrations and exit (serve also applies them at start).')
    .option('-d, --database <url>', 'sqlite:<path> or postgres://… (env DATABASE_URL)')
    .addHelpText(
      'after',
      `
Examples:
  $ ghl-gateway migrate
  $ ghl-gateway migrate --database postgres://gateway:secret@db:5432/gateway

Environment: DATABASE_URL, DURABILITY, LOG_LEVEL (and the rest of serve's configuration, which is validated too).`,
    )
    .action(async (flags: { database?: string }) => {
      const config = loadConfig({ overrides: flags })
      const [{ createLogger }, { openStore }, { DatabaseUnavailableError, databaseProblem }] =
        await Promise.all([
          import('../../observe/logger.js'),
          import('../../store/open-store.js'),
          import('../../store/database-problem.js'),
        ])
      const logger = createLogger({ level: config.LOG_LEVEL })
      const store = openStore({ url: config.DATABASE_URL, durability: config.DURABILITY, poolSize: 1 })
      try {
        const report = await store.migrate().catch((error: unknown) => {
          throw new DatabaseUnavailableError(databaseProblem(store.location, error), error)
        })
        logger.info(
          {
            store: store.location,
            applied: report.applied,
            current: report.current,
            unknown: report.unknown,
          },
          report.applied.length ? `applied ${report.applied.length} migration(s)` : 'database is up to date',
        )
      } finally {
        await store.close()
        logger.flush()
      }
    })
}
