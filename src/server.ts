import { buildApp, type GatewayApp } from './app.js'
import type { GatewayConfig } from './config/index.js'
import { createLogger, type Logger } from './observe/logger.js'
import { openStore } from './store/open-store.js'
import type { Store } from './store/types.js'
import { VERSION } from './version.js'

export interface RunningGateway {
  app: GatewayApp
  store: Store
  logger: Logger
  /** `http://host:port` actually bound (port 0 picks a free one). */
  url: string
  /** Drains and stops; idempotent. */
  close(): Promise<void>
}

export interface StartOptions {
  logger?: Logger
}

/**
 * Opens the store, applies migrations, builds the app and listens. The only place that calls
 * `listen()`; the CLI's `serve` and the library's `listen()` both come through here.
 */
export async function startGateway(
  config: GatewayConfig,
  options: StartOptions = {},
): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL })
  const store = openStore({
    url: config.DATABASE_URL,
    durability: config.DURABILITY,
    poolSize: config.PG_POOL_SIZE,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection lost; it will be replaced'),
  })
  let app: GatewayApp
  try {
    const report = await store.migrate()
    if (report.applied.length) logger.info({ applied: report.applied }, 'database migrated')
    if (report.unknown.length) {
      logger.warn(
        { versions: report.unknown },
        'the database has migrations this version does not know (a newer gateway ran them); continuing',
      )
    }
    app = buildApp({ config, store, logger })
    await app.fastify.listen({ port: config.PORT, host: config.HOST })
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
  const address = app.fastify.server.address()
  const url =
    typeof address === 'object' && address
      ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
      : String(address)

  logBanner(logger, config, store, app, url)

  let closing: Promise<void> | undefined
  return {
    app,
    store,
    logger,
    url,
    close() {
      closing ??= (async () => {
        app.beginDrain()
        await app.fastify.close()
        await store.close()
        logger.info('stopped')
        logger.flush()
      })()
      return closing
    },
  }
}

function logBanner(logger: Logger, config: GatewayConfig, store: Store, app: GatewayApp, url: string): void {
  const ghl = app.sources.get('ghl')
  logger.info(
    {
      version: VERSION,
      url,
      store: store.location,
      durability: store.kind === 'sqlite' ? config.DURABILITY : 'postgres synchronous_commit',
      signatureMode: config.GHL_SIGNATURE_MODE,
      sources: [...app.sources.keys()],
      configFile: config.configFile ?? null,
      maxBodyBytes: config.MAX_BODY_BYTES,
      backpressureHighWater: config.BACKPRESSURE_HIGH_WATER,
    },
    `ghl-gateway ${VERSION} listening on ${url}; GoHighLevel webhooks go to ${url}/webhooks/ghl`,
  )
  if (ghl?.acceptUnverified) {
    logger.warn(
      'GHL_SIGNATURE_MODE=off: webhooks WITHOUT a valid signature are accepted and stored as unverified. ' +
        'Anyone who can reach this URL can inject events. Use this only for local development.',
    )
  }
  for (const source of app.sources.values()) {
    if (source.verifier.scheme === 'none') {
      logger.warn(`source "${source.id}" has verify.scheme "none": anyone who knows its URL can post events`)
    }
  }
  if (config.ADMIN_TOKEN === undefined) {
    logger.info('the admin API (/api/*, /metrics) is disabled; set ADMIN_TOKEN to enable it')
  }
}

/**
 * Two-stage shutdown: the first SIGTERM/SIGINT drains (new webhooks get 503, in-flight ones
 * finish, the last batch commits) within `timeoutMs`; a second signal exits at once.
 */
export function handleSignals(gateway: RunningGateway, timeoutMs: number): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      gateway.logger.warn({ signal }, 'second signal: exiting without draining')
      gateway.logger.flush()
      process.exit(1)
    }
    stopping = true
    gateway.logger.info(
      { signal, timeoutMs },
      'draining: new webhooks get 503; send the signal again to force',
    )
    const timer = setTimeout(() => {
      gateway.logger.error({ timeoutMs }, 'drain timed out; exiting')
      gateway.logger.flush()
      process.exit(1)
    }, timeoutMs)
    timer.unref()
    gateway.close().then(
      () => process.exit(0),
      (error) => {
        gateway.logger.error({ err: error }, 'error while stopping')
        gateway.logger.flush()
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
