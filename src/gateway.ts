import { hostname } from 'node:os'
import { buildApp, type GatewayApp } from './app.js'
import type { EventPattern } from './catalog/event-patterns.js'
import type { AnyGhlEvent, CanonicalEventName, EventFor, GhlEventName } from './catalog/index.js'
import { createTypeMapper } from './catalog/index.js'
import { coalesced } from './coalesced.js'
import { configFileText, type GatewayConfig, loadConfig } from './config/index.js'
import { type Handler, handlerRunner } from './deliver/handler-runner.js'
import { startRetention } from './deliver/retention.js'
import { Worker } from './deliver/worker.js'
import { DestinationSet } from './destinations/destination-set.js'
import type { RunAttempt } from './dispatch/attempt.js'
import { refuseMisspeltHandlers } from './dispatch/misspelt-handlers.js'
import { SubscriberRegistry } from './dispatch/registry.js'
import { type RetryPolicyInput, retryPolicy } from './dispatch/retry-policy.js'
import type { Subscriber } from './dispatch/subscribers.js'
import { toMilliseconds } from './duration.js'
import type { Env } from './env-substitution.js'
import { liveDelivery } from './observe/live-stream.js'
import { createLogger, type Logger } from './observe/logger.js'
import { createMetrics } from './observe/metrics.js'
import { DatabaseUnavailableError, databaseProblem } from './store/database-problem.js'
import { openStore } from './store/open-store.js'
import type { Store } from './store/types.js'
import { ed25519Backend } from './verify/ed25519-check.mjs'
import { VERSION } from './version.js'

export interface GatewayOptions {
  /** `sqlite:<path>` or `postgres://…`. @default env DATABASE_URL, else sqlite:./data/ghl-gateway.db */
  database?: string
  /** @default env PORT, else 3000 */
  port?: number
  /** @default env HOST, else 0.0.0.0 */
  host?: string
  /** Config file (sources, renames). @default env GATEWAY_CONFIG, else ./ghl-gateway.config.{yaml,yml,json} */
  configFile?: string
  /** Environment to read settings from. @default process.env */
  env?: Env
  /** Settings already loaded with `loadConfig` (the CLI does this); overrides the fields above. */
  config?: GatewayConfig
  /** @default pino JSON to stdout at LOG_LEVEL */
  logger?: Logger
}

export interface HandlerOptions {
  /**
   * Stable id: deliveries in the database refer to it, across restarts and deploys. Set it when
   * you register several handlers for one event. @default `handler:<event>` (`#2`, `#3`… for repeats)
   */
  id?: string
  /** @default 5s … 10h, 18 attempts, 24h (see RetryPolicy) */
  retry?: RetryPolicyInput
  /** `entity`: one delivery per entity (e.g. per contact) at a time, in receive order. @default unordered */
  ordered?: 'entity'
  /** Deliveries of this handler running at once, per process. @default 10 */
  concurrency?: number
  /** Per attempt; ctx.signal aborts when it passes. @default 30s */
  timeout?: number | string
  /** Only events from these sources. @default every source */
  sources?: string[]
}

export interface Gateway {
  /** Runs `handler` for every event of a GHL doc name or canonical type — typed. */
  on<K extends GhlEventName | CanonicalEventName>(
    event: K,
    handler: Handler<EventFor<K>>,
    options?: HandlerOptions,
  ): Gateway
  /** Runs `handler` for events of other sources, by their own type (any string). */
  on(pattern: string, handler: Handler<AnyGhlEvent>, options: HandlerOptions & { sources: string[] }): Gateway
  /**
   * Runs `handler` for a pattern: a renamed type, a prefix wildcard (`contact.*`), `unknown`, a
   * source's own type. A capitalised name that is not a GHL doc name does not compile, and
   * `listen()` refuses a pattern that matches nothing but is a few edits from a known name.
   */
  on<P extends string>(
    pattern: EventPattern<P>,
    handler: Handler<AnyGhlEvent>,
    options?: HandlerOptions,
  ): Gateway
  /** Runs `handler` for every event, including unknown ones and other sources' events. */
  onAny(handler: Handler<AnyGhlEvent>, options?: HandlerOptions): Gateway
  /** Opens the store, applies migrations, starts the worker and the HTTP server. */
  listen(options?: { port?: number; host?: string }): Promise<{ url: string }>
  /** Drains and stops everything; idempotent. */
  close(): Promise<void>
  /** The running parts, once listening (tests, advanced use). */
  readonly running: RunningGateway | undefined
}

export interface RunningGateway {
  app: GatewayApp
  store: Store
  worker: Worker
  logger: Logger
  config: GatewayConfig
  url: string
}

/**
 * The library entry point: `createGateway().on('ContactCreate', handler).listen()`. The CLI's
 * `serve` is the same gateway without handlers (destinations come from the config file).
 */
export function createGateway(options: GatewayOptions = {}): Gateway {
  const registry = new SubscriberRegistry()
  const usedIds = new Map<string, number>()
  let running: RunningGateway | undefined
  let closing: Promise<void> | undefined
  let stopExtras: (() => Promise<void> | void)[] = []
  // Handlers need the store and type mapper, which exist once listening; runners bind late.
  const late: { store?: Store; types?: GatewayApp['types']; logger?: Logger } = {}

  const register = (events: string[], handler: Handler<never>, handlerOptions: HandlerOptions = {}) => {
    const base = handlerOptions.id ?? `handler:${events.join(',')}`
    const count = (usedIds.get(base) ?? 0) + 1
    usedIds.set(base, count)
    const id = handlerOptions.id ?? (count === 1 ? base : `${base}#${count}`)
    registry.add(
      handlerSubscriber(id, events, handler as Handler, handlerOptions, () => late as Required<typeof late>),
    )
  }

  const gateway: Gateway = {
    on(event: string, handler: Handler<never>, handlerOptions?: HandlerOptions) {
      register([event], handler, handlerOptions)
      return gateway
    },
    onAny(handler, handlerOptions) {
      register(['*'], handler as Handler<never>, handlerOptions)
      return gateway
    },
    get running() {
      return running
    },

    async listen(listenOptions = {}) {
      if (running) return { url: running.url }
      const config =
        options.config ??
        loadConfig({
          env: options.env,
          overrides: {
            database: options.database,
            port: listenOptions.port ?? options.port,
            host: listenOptions.host ?? options.host,
            config: options.configFile,
          },
        })
      if (options.config && listenOptions.port !== undefined) config.PORT = listenOptions.port
      const types = createTypeMapper(config.file.renames)
      refuseMisspeltHandlers(registry, types)
      const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL })
      for (const { topic, message, fix } of config.warnings) logger.warn({ topic, fix }, message)
      const store = openStore({
        url: config.DATABASE_URL,
        durability: config.DURABILITY,
        poolSize: config.PG_POOL_SIZE,
        onPoolError: (error) => logger.warn({ err: error }, 'database connection lost; it will be replaced'),
      })
      try {
        const report = await store.migrate().catch((error: unknown) => {
          throw new DatabaseUnavailableError(databaseProblem(store.location, error), error)
        })
        if (report.applied.length) logger.info({ applied: report.applied }, 'database migrated')
        if (report.unknown.length) {
          logger.warn(
            { versions: report.unknown },
            'the database has migrations this version does not know (a newer gateway ran them); continuing',
          )
        }
        const instanceId = `${hostname()}:${process.pid}:${Date.now()}`
        const metrics = createMetrics()
        const worker = new Worker({
          store,
          registry,
          logger,
          metrics,
          id: instanceId,
          concurrency: config.WORKER_CONCURRENCY,
          pollIntervalMs: config.WORKER_POLL_INTERVAL,
          leaseGraceMs: config.WORKER_LEASE_GRACE,
          // Called only once the worker runs, which is after `app` below exists.
          onAttempt: (delivery, result) => {
            if (app.liveStream.active) app.liveStream.publish(liveDelivery(delivery, result, app.types))
          },
        })
        // Said before the destinations' boot report: orphans are how a wrong directory shows.
        logger.info(
          { configFile: config.configFile ?? null },
          configFileText(config.configFile, config.configSearchDir),
        )
        // Destinations join the registry before the server listens: the first webhook plans them.
        const destinations = new DestinationSet({
          store,
          registry,
          types,
          logger,
          metrics,
          configured: config.file.destinations,
          configFile: config.configFile,
          egressAllow: [...config.file.egress.allow, ...config.EGRESS_ALLOW],
          env: options.env,
          wake: () => worker.wake(),
        })
        await destinations.start()
        const announce = coalesced(() => store.announceWork())
        const app = buildApp({
          config,
          store,
          logger,
          metrics,
          registry,
          instance: { id: instanceId, version: VERSION, startedAt: Date.now() },
          onWork: () => {
            worker.wake()
            if (store.traits.crossProcessWakeups) announce().catch(() => {})
          },
          destinations,
          types,
          acceptWebhooks: config.ROLE !== 'worker',
        })
        Object.assign(late, { store, types: app.types, logger })
        await app.fastify.listen({ port: config.PORT, host: config.HOST })
        const stopListening = store.listenForWork(
          () => worker.wake(),
          (error) =>
            logger.warn({ err: error }, 'lost the LISTEN connection; reconnecting (polling meanwhile)'),
        )
        const retention =
          config.RETENTION === null
            ? undefined
            : startRetention({ store, logger, retentionMs: config.RETENTION })
        stopExtras = [stopListening, () => retention?.stop(), () => destinations.stop()]
        // ROLE=ingest: deliveries are planned and stored here, and run by the worker processes.
        if (config.ROLE !== 'ingest') worker.start()
        running = { app, store, worker, logger, config, url: urlOf(app) }
        logger.info(
          {
            version: VERSION,
            role: config.ROLE,
            url: running.url,
            store: store.location,
            configFile: config.configFile ?? null,
            ed25519: ed25519Backend,
            handlers: registry
              .list()
              .filter((s) => s.kind === 'handler')
              .map((s) => s.id),
            // The ones it sends to: an orphan is in the registry only to collect its deliveries.
            destinations: registry
              .list()
              .filter((s) => s.kind === 'destination' && destinations.runtime(s.id))
              .map((s) => s.id),
          },
          `ghl-gateway ${VERSION} listening on ${running.url}; GoHighLevel webhooks go to ${running.url}/webhooks/ghl`,
        )
        if (ed25519Backend !== 'libsodium') {
          logger.warn(
            'sodium-native did not load on this platform: Ed25519 signatures are checked with node:crypto, same answers at ~1.6x the CPU',
          )
        }
        return { url: running.url }
      } catch (error) {
        await store.close().catch(() => {})
        throw error
      }
    },

    close() {
      closing ??= (async () => {
        if (!running) return
        const { app, worker, store, config, logger } = running
        app.beginDrain()
        // Webhooks first (the last batch commits), then running attempts, then the store.
        await app.fastify.close()
        await worker.stop(config.SHUTDOWN_TIMEOUT)
        for (const stop of stopExtras) await stop()
        await store.close()
        logger.info('stopped')
        logger.flush()
      })()
      return closing
    },
  }
  return gateway
}

/**
 * A handler as a subscriber. `bind` supplies the store, type mapper and logger at the first
 * attempt (they exist once the gateway listens; handlers are registered before).
 */
export function handlerSubscriber(
  id: string,
  events: string[],
  handler: Handler,
  options: HandlerOptions,
  bind: () => { store: Store; types: GatewayApp['types']; logger: Logger },
): Subscriber {
  const timeoutMs = options.timeout === undefined ? 30_000 : toMilliseconds(options.timeout)
  if (timeoutMs === undefined || timeoutMs <= 0)
    throw new Error(`handler ${id}: timeout must be a positive duration`)
  let runner: RunAttempt | undefined
  return {
    id,
    kind: 'handler',
    events,
    sources: options.sources,
    ordered: options.ordered,
    retry: retryPolicy(options.retry),
    concurrency: options.concurrency ?? 10,
    timeoutMs,
    run: (delivery, context) => {
      runner ??= handlerRunner({ handler, ...bind() })
      return runner(delivery, context)
    },
  }
}

function urlOf(app: GatewayApp): string {
  const address = app.fastify.server.address()
  if (typeof address !== 'object' || address === null) return String(address)
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
}
