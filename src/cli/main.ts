#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander'
import { ConfigError, loadConfig } from '../config/index.js'
import { createLogger } from '../observe/logger.js'
import { handleSignals, startGateway } from '../server.js'
import { openStore } from '../store/open-store.js'
import { KeyConfigError } from '../verify/index.js'
import { VERSION } from '../version.js'

/**
 * Exit codes: 0 done, 1 failure (could not start, database unreachable), 2 usage or configuration
 * error (fix the command line, environment or config file).
 */
const EXIT_FAILURE = 1
const EXIT_USAGE = 2

const port = (value: string) => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('must be a port number 0–65535')
  return n
}

interface ServeFlags {
  port?: number
  host?: string
  database?: string
  config?: string
}

const program = new Command()
  .name('ghl-gateway')
  .description(
    'A durable webhook gateway for GoHighLevel: verify, store before ack, classify, process, deliver.',
  )
  .version(VERSION)
  .showHelpAfterError()

program
  .command('serve')
  .description('Run the gateway: receive webhooks at /webhooks/ghl and store them before answering.')
  .option('-p, --port <port>', 'TCP port (env PORT, default 3000)', port)
  .option('--host <host>', 'interface to bind (env HOST, default 0.0.0.0)')
  .option(
    '-d, --database <url>',
    'sqlite:<path> or postgres://… (env DATABASE_URL, default sqlite:./data/ghl-gateway.db)',
  )
  .option('-c, --config <file>', 'config file with extra sources (env GATEWAY_CONFIG)')
  .addHelpText(
    'after',
    `
Examples:
  $ ghl-gateway serve
  $ ghl-gateway serve --port 8080 --database postgres://gateway:secret@db:5432/gateway
  $ GHL_SIGNATURE_MODE=off ghl-gateway serve      # local development only

Environment: PORT, HOST, DATABASE_URL, DURABILITY, PG_POOL_SIZE, GHL_SIGNATURE_MODE,
GHL_ED25519_PUBLIC_KEYS, GHL_RSA_PUBLIC_KEYS, GHL_TIMESTAMP_WINDOW, MAX_BODY_BYTES,
BACKPRESSURE_HIGH_WATER, ADMIN_TOKEN, LOG_LEVEL, TRUST_PROXY, GATEWAY_CONFIG, SHUTDOWN_TIMEOUT,
INGEST_BATCH_MAX (see README, "Configuration").`,
  )
  .action(async (flags: ServeFlags) => {
    const config = loadConfig({ overrides: flags })
    const gateway = await startGateway(config)
    handleSignals(gateway, config.SHUTDOWN_TIMEOUT)
  })

program
  .command('migrate')
  .description('Apply database migrations and exit (serve also applies them at start).')
  .option('-d, --database <url>', 'sqlite:<path> or postgres://… (env DATABASE_URL)')
  .action(async (flags: { database?: string }) => {
    const config = loadConfig({ overrides: flags })
    const logger = createLogger({ level: config.LOG_LEVEL })
    const store = openStore({ url: config.DATABASE_URL, durability: config.DURABILITY, poolSize: 1 })
    try {
      const report = await store.migrate()
      logger.info(
        { store: store.location, applied: report.applied, current: report.current, unknown: report.unknown },
        report.applied.length ? `applied ${report.applied.length} migration(s)` : 'database is up to date',
      )
    } finally {
      await store.close()
      logger.flush()
    }
  })

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof KeyConfigError) {
    console.error(`ghl-gateway: ${error.message}`)
    process.exit(EXIT_USAGE)
  }
  const code = (error as { code?: string }).code
  if (code === 'EADDRINUSE') {
    console.error(
      `ghl-gateway: the port is already in use; stop the other process or choose another with --port`,
    )
  } else {
    console.error(`ghl-gateway: ${(error as Error).message ?? error}`)
  }
  process.exit(EXIT_FAILURE)
})
