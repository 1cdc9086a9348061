import type { Command } from 'commander'
import { loadConfig } from '../../config/index.js'
import { portOption } from '../options.js'

interface ServeFlags {
  port?: number
  host?: string
  database?: string
  config?: string
  role?: string
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the gateway: receive webhooks at /webhooks/ghl and store them before answering.')
    .option('-p, --port <port>', 'TCP port (env PORT, default 3000)', portOption)
    .option('--host <host>', 'interface to bind (env HOST, default 0.0.0.0)')
    .option(
      '-d, --database <url>',
      'sqlite:<path> or postgres://… (env DATABASE_URL, default sqlite:./data/ghl-gateway.db)',
    )
    .option('-c, --config <file>', 'config file with sources, destinations, renames (env GATEWAY_CONFIG)')
    .option(
      '--role <role>',
      'all | ingest (webhooks only) | worker (deliveries only) (env ROLE, default all)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ ghl-gateway serve
  $ ghl-gateway serve --port 8080 --database postgres://gateway:secret@db:5432/gateway
  $ GHL_SIGNATURE_MODE=off ghl-gateway serve      # local development only
  $ ghl-gateway serve --role ingest --database postgres://…   # scale webhook intake separately
  $ ghl-gateway serve --role worker --database postgres://…   # …from the processes that deliver

Environment: PORT, HOST, DATABASE_URL, DURABILITY, PG_POOL_SIZE, GHL_SIGNATURE_MODE,
GHL_ED25519_PUBLIC_KEYS, GHL_RSA_PUBLIC_KEYS, GHL_TIMESTAMP_WINDOW, MAX_BODY_BYTES,
REQUEST_TIMEOUT, KEEP_ALIVE_TIMEOUT, MAX_CONNECTIONS,
BACKPRESSURE_HIGH_WATER, ADMIN_TOKEN, LOG_LEVEL, TRUST_PROXY, GATEWAY_CONFIG, SHUTDOWN_TIMEOUT,
INGEST_BATCH_MAX, INGEST_COMMIT_HOLD, ROLE, WORKER_CONCURRENCY, WORKER_LEASE_GRACE,
WORKER_POLL_INTERVAL, RETENTION, EGRESS_ALLOW (see README, "Configuration").`,
    )
    .action(async (flags: ServeFlags) => {
      const config = loadConfig({ overrides: flags })
      // Loaded here, not at the top: the other commands start faster without the server's modules.
      const [{ createGateway }, { createLogger }, { handleSignals }] = await Promise.all([
        import('../../gateway.js'),
        import('../../observe/logger.js'),
        import('../../server.js'),
      ])
      const logger = createLogger({ level: config.LOG_LEVEL })
      const gateway = createGateway({ config, logger })
      const { url } = await gateway.listen()
      handleSignals(gateway, logger, config.SHUTDOWN_TIMEOUT)
      // A person at a terminal also gets a few lines to read; a pipe or a file gets JSON lines only.
      if (process.stdout.isTTY) {
        const [{ serveSummary }, { styleFor }] = await Promise.all([
          import('../serve-summary.js'),
          import('../ui/style.js'),
        ])
        const store = gateway.running?.store.location ?? config.DATABASE_URL
        process.stdout.write(serveSummary({ config, url, store, style: styleFor(process.stdout) }))
      }
    })
}
