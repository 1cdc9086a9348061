import { hostname } from 'node:os'
import { buildApp, type GatewayApp } from './app.js'
import { createTypeMapper, type ReportOperational, type TypeMapper } from './catalog/index.js'
import { coalesced } from './coalesced.js'
import { configFileText, type GatewayConfig, ghlTokenSettings } from './config/index.js'
import { deadLetterReport } from './deliver/dead-letter-report.js'
import { createDlqJobRunner, type DlqJobRunner } from './deliver/dlq-job-runner.js'
import {
  GHL_LIFECYCLE_SUBSCRIBER,
  ghlLifecycleSubscriber,
  isGhlLifecycleSubscriber,
} from './deliver/ghl-lifecycle.js'
import { startRetention } from './deliver/retention.js'
import { Worker } from './deliver/worker.js'
import { DestinationSet, type DestinationSetOptions } from './destinations/destination-set.js'
import { refuseMisspeltHandlers } from './dispatch/misspelt-handlers.js'
import { SubscriberRegistry } from './dispatch/registry.js'
import type { Env } from './env-substitution.js'
import { createGhlAgencyClient } from './ghl/agency-client.js'
import { GhlApi } from './ghl/api-client.js'
import { checkStoredTokenKeys } from './ghl/check-token-keys.js'
import { GhlInstalls } from './ghl/installs.js'
import { GhlLocationFacts } from './ghl/location-facts.js'
import { createGhlLocationMinter } from './ghl/location-minter.js'
import { createGhlOAuthClient } from './ghl/oauth-client.js'
import { storeEnvPrivateToken } from './ghl/private-tokens.js'
import type { GhlRateLimiter } from './ghl/rate-limiter.js'
import { logTokensNeedingReauth } from './ghl/reauth-report.js'
import { SharedGhlRateLimiter } from './ghl/shared-rate-limiter.js'
import { GhlTokens } from './ghl/tokens.js'
import { LiveStream, liveDelivery } from './observe/live-stream.js'
import { createLogger, type Logger } from './observe/logger.js'
import { createMetrics, type Metrics } from './observe/metrics.js'
import { backpressureReport, OperationalEvents } from './receive/operational-events.js'
import { ReleaseStack } from './release-stack.js'
import { DatabaseUnavailableError, databaseProblem } from './store/database-problem.js'
import { openStore } from './store/open-store.js'
import type { Store, WorkTopic } from './store/types.js'
import { ed25519Backend } from './verify/ed25519-check.mjs'
import { VERSION } from './version.js'

/**
 * The composition root: which part is built from which, in what order, and how it is all given
 * back. `assemble` builds (nothing listens, no worker runs); `open` starts taking traffic and work.
 * `createGateway().listen()` is the two in a row; the tests assemble the same parts and drive them
 * with `inject()` and `worker.runDue()`.
 */

export interface AssembleOptions {
  /** @default pino JSON to stdout at LOG_LEVEL */
  logger?: Logger
  /** Handlers registered before the gateway listens (`gw.on`). @default an empty registry */
  registry?: SubscriberRegistry
  /** Resolves `${NAME}` in API destinations. @default process.env */
  env?: Env
  /** Clock for received times, attempts and destinations; tests fix it. @default Date.now */
  now?: () => number
  /** Retry jitter; tests fix it. @default Math.random */
  random?: () => number
  /** Tests replace what the config file and env would give the destinations. */
  destinations?: Pick<DestinationSetOptions, 'configured' | 'egressAllow' | 'reloadIntervalMs' | 'lookup'>
  /** Check every admin answer against its schema (the OpenAPI document); tests turn it on. @default false */
  checkResponses?: boolean
  /** The built web console served at /ui. @default this package's dist/ui */
  consoleDir?: string
}

/** The parts of one gateway process, and the one call that gives them all back. */
export interface Assembly {
  config: GatewayConfig
  logger: Logger
  store: Store
  registry: SubscriberRegistry
  metrics: Metrics
  /** Canonical event types → published types (the config file's renames). */
  types: TypeMapper
  worker: Worker
  /** Runs bulk dead-letter jobs; started by `open` next to the worker. */
  dlqJobs: DlqJobRunner
  destinations: DestinationSet
  app: GatewayApp
  /**
   * The GHL token engine, when GHL_TOKEN_KEY is set: an OAuth app's tokens and/or Private
   * Integration Tokens (docs/ghl-apps.md).
   */
  ghlTokens: GhlTokens | undefined
  /**
   * GHL's rate limits, shared through the store by every process on the database (GHL_RATE_LIMIT_*):
   * what GHL API calls acquire before they go. Built whether or not an OAuth app is configured —
   * Private Integration Tokens are limited the same.
   */
  ghlLimiter: GhlRateLimiter
  /** GHL's API (`ctx.ghl`, `gw.ghl()`), when a GHL app is configured. */
  ghlApi: GhlApi | undefined
  /** Installs of the GHL app (code exchange, installations registry), when one is configured. */
  ghlInstalls: GhlInstalls | undefined
  /** A location's tenant id from the installations (in memory), when a GHL app is configured. */
  tenantOf: ((locationId: string) => string | undefined) | undefined
  /** The gateway's own events (alerts), unless OPERATIONAL_EVENTS=off. */
  operational: OperationalEvents | undefined
  /** Adds something started later (by `open`) to what `release` gives back; it goes back first. */
  hold(name: string, release: () => unknown): void
  /**
   * Gives back everything assembled and opened, last taken first: cross-process wake-ups and
   * retention; HTTP (new webhooks get 503, the last batch commits); the bulk DLQ job runner (its
   * batch in flight commits); running attempts (up to
   * SHUTDOWN_TIMEOUT); destinations (their claims, while the store is open); the store.
   * Idempotent.
   */
  release(): Promise<void>
}

/** Gateways assembled in this process so far. */
let assembled = 0

/**
 * Builds a gateway from its settings: store opened and migrated, destinations loaded into the
 * registry, worker built (not started), HTTP app ready (not listening). A failure half-way
 * releases what was built before it is rethrown.
 */
export async function assemble(config: GatewayConfig, options: AssembleOptions = {}): Promise<Assembly> {
  const registry = options.registry ?? new SubscriberRegistry()
  const types = createTypeMapper(config.file.renames)
  // Refused before anything is opened or logged.
  refuseMisspeltHandlers(registry, types)
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL })
  for (const { topic, message, fix } of config.warnings) logger.warn({ topic, fix }, message)

  const store = openStore({
    url: config.DATABASE_URL,
    durability: config.DURABILITY,
    poolSize: config.PG_POOL_SIZE,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection lost; it will be replaced'),
  })
  const held = new ReleaseStack(`gateway ${store.location}`)
  held.hold('store', () => store.close())
  try {
    await migrate(store, logger)
    // Before anything starts: stored GHL tokens the configured keys cannot read stop the gateway.
    await checkStoredTokenKeys(store, config.GHL_TOKEN_KEY)
    assembled += 1
    // Lease owner and heartbeat id; a second gateway in one process gets its own.
    const instanceId = `${hostname()}:${process.pid}:${Date.now()}${assembled > 1 ? `:${assembled}` : ''}`
    const metrics = createMetrics()
    // The gateway's own events (alerts); stored through the ingestor once the app is built.
    const operational =
      config.OPERATIONAL_EVENTS === 'on'
        ? new OperationalEvents({
            registry,
            logger,
            windowMs: config.OPERATIONAL_EVENTS_WINDOW,
            perMinute: config.OPERATIONAL_EVENTS_PER_MINUTE,
            instanceId,
            now: options.now,
            metrics,
          })
        : undefined
    const report = operational?.report
    // Always built: Private Integration Tokens obey GHL's limits as much as the app's tokens, and
    // an agency's own calls (minting location tokens, listing a bulk install) count against its limits.
    const ghlLimiter = new SharedGhlRateLimiter({
      store,
      limits: {
        burst: config.GHL_RATE_LIMIT_BURST,
        windowMs: config.GHL_RATE_LIMIT_WINDOW,
        daily: config.GHL_RATE_LIMIT_DAILY,
      },
      maxWaitMs: config.GHL_RATE_LIMIT_MAX_WAIT,
      logger,
      metrics,
    })
    const built = await buildGhl(
      config,
      store,
      logger,
      metrics,
      instanceId,
      held,
      options.now,
      ghlLimiter,
      report,
    )
    const ghlTokens = built?.tokens
    const ghlApi = ghlTokens && buildGhlApi(config, ghlTokens, ghlLimiter, metrics, held)
    metrics.ghlTokenStatusSource.current = () => store.countGhlTokensByStatus()
    const ghl = built?.app
    if (ghl) {
      await ghl.facts.start()
      held.hold('GHL location facts', () => ghl.facts.stop())
      // The gateway's own subscriber to AppInstall/AppUninstall (a failed listen may be retried).
      const existing = registry.get(GHL_LIFECYCLE_SUBSCRIBER)
      if (existing && !isGhlLifecycleSubscriber(existing)) {
        throw new Error(
          `the handler id "${GHL_LIFECYCLE_SUBSCRIBER}" is the gateway's own (GHL installs); give your handler another id`,
        )
      }
      registry.remove(GHL_LIFECYCLE_SUBSCRIBER)
      registry.add(ghlLifecycleSubscriber({ store, ...ghl, tokens: built.tokens, appId: ghl.settings.appId }))
    }
    const liveStream = new LiveStream({
      onListenerError: (error) => logger.warn({ err: error }, 'a live stream client failed'),
    })
    const worker = new Worker({
      store,
      registry,
      logger,
      metrics,
      id: instanceId,
      concurrency: config.WORKER_CONCURRENCY,
      pollIntervalMs: config.WORKER_POLL_INTERVAL,
      leaseGraceMs: config.WORKER_LEASE_GRACE,
      now: options.now ?? Date.now,
      random: options.random,
      onAttempt: (delivery, result) => {
        if (liveStream.active) liveStream.publish(liveDelivery(delivery, result, types))
        if (report && result.next.state === 'dead') {
          const dead = deadLetterReport(delivery, result, registry.get(delivery.subscriberId), types)
          if (dead) report(dead)
        }
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
      now: options.now,
      report,
      ...options.destinations,
    })
    // Held before it starts: a start that fails after claiming still gives its claims back.
    held.hold('destinations', () => destinations.stop())
    await destinations.start()
    // Attempts in flight still send through the destinations: stopped before them.
    held.hold('worker', () => worker.stop(config.SHUTDOWN_TIMEOUT))
    const announce = coalesced(() => store.announceWork())
    const onWork = () => {
      worker.wake()
      if (store.traits.crossProcessWakeups) announce().catch(() => {})
    }
    const dlqJobs = createDlqJobRunner({ store, logger, owner: instanceId, onWork, now: options.now })
    // Released after HTTP, before the worker and the store: a batch in flight commits (or rolls back).
    held.hold('dlq jobs', () => dlqJobs.stop())
    const app = buildApp({
      config,
      ghlApi,
      store,
      logger,
      metrics,
      registry,
      now: options.now,
      instance: { id: instanceId, version: VERSION, startedAt: Date.now() },
      onWork,
      handoff: worker,
      onHighWater:
        report && ((over, backlog, highWater) => report(backpressureReport(over, backlog, highWater))),
      onDlqJob: () => dlqJobs.wake(),
      liveStream,
      destinations,
      types,
      acceptWebhooks: config.ROLE !== 'worker',
      checkResponses: options.checkResponses,
      consoleDir: options.consoleDir,
      ghlTokens,
      ghl: ghl && {
        settings: ghl.settings,
        installs: ghl.installs,
        uninstalled: {
          has: (locationId) => ghl.facts.isUninstalled(locationId),
          deliver: config.GHL_UNINSTALLED_EVENTS === 'deliver',
          keep: GHL_LIFECYCLE_SUBSCRIBER,
        },
        // Awaited by the PATCH: this process's next envelope carries the new id.
        onTenantChanged: () => ghl.facts.refresh(),
      },
    })
    // Released first: new webhooks get 503 and the last batch commits before attempts are stopped.
    held.hold('http server', async () => {
      app.beginDrain()
      // Requests of mounted handlers (nodeHandler, fetchHandler, the Fastify plugin) run on the
      // application's server, which Fastify's close does not wait for: their commits finish first.
      await app.endpoint.settled()
      await app.fastify.close()
    })
    await app.fastify.ready()
    if (operational) {
      operational.attach((event) => app.ingestor.submit(event))
      // Released before HTTP: pending summaries are stored while the ingestor still commits.
      held.hold('operational events', () => operational.close())
    }
    return {
      config,
      logger,
      store,
      registry,
      metrics,
      types,
      worker,
      dlqJobs,
      destinations,
      app,
      ghlTokens,
      ghlLimiter,
      ghlApi,
      ghlInstalls: ghl?.installs,
      tenantOf: ghl && ((locationId) => ghl.facts.tenantOf(locationId)),
      operational,
      hold: (name, release) => held.hold(name, release),
      release: () => held.release(),
    }
  } catch (error) {
    await held.release().catch(() => {})
    throw error
  }
}

/**
 * Opens an assembly for business: HTTP on the configured port, wake-ups from other processes,
 * retention, and the worker (not with ROLE=ingest). What it starts joins the assembly's release.
 * Returns the URL it listens on.
 */
export function open(assembly: Assembly): Promise<string>
export function open(assembly: Assembly, options: { listen: false }): Promise<undefined>
export async function open(
  assembly: Assembly,
  options: { listen: boolean } = { listen: true },
): Promise<string | undefined> {
  const { config, logger, store, worker, app } = assembly
  // Without listening (gw.start()), webhooks arrive through handlers mounted in the application.
  if (options.listen) await app.fastify.listen({ port: config.PORT, host: config.HOST })
  const stopListening = store.listenForWork(onAnnouncement(assembly), (error) =>
    logger.warn({ err: error }, 'lost the LISTEN connection; reconnecting (polling meanwhile)'),
  )
  assembly.hold('work notifications', stopListening)
  if (config.RETENTION !== null) {
    const retention = startRetention({ store, logger, retentionMs: config.RETENTION })
    assembly.hold('retention', () => retention.stop())
  }
  if (assembly.ghlTokens) {
    assembly.ghlTokens.start()
    assembly.hold('GHL token sweep', () => assembly.ghlTokens?.stop())
  }
  // ROLE=ingest: deliveries are planned and stored here, and run by the worker processes.
  if (config.ROLE !== 'ingest') {
    worker.start()
    assembly.dlqJobs.start()
  }
  const url = options.listen ? urlOf(app) : undefined
  logBoot(assembly, url)
  await logTokensNeedingReauth(store, logger).catch((error: unknown) =>
    logger.warn({ err: error }, 'could not count GHL tokens needing re-authorisation'),
  )
  return url
}

/**
 * The token engine whenever GHL_TOKEN_KEY is set (with an OAuth app, or Private Integration Tokens
 * only), and with an OAuth app its installs: the code exchange, the registry, location tokens minted
 * from agency tokens, and the in-memory facts (uninstalled locations, tenant ids).
 */
async function buildGhl(
  config: GatewayConfig,
  store: Store,
  logger: Logger,
  metrics: Metrics,
  holder: string,
  held: ReleaseStack,
  now: (() => number) | undefined,
  limiter: GhlRateLimiter,
  report: ReportOperational | undefined,
) {
  const settings = ghlTokenSettings(config)
  if (!settings) return undefined
  const { app, keys, appId, envPrivateToken, refreshIdleMs } = settings
  if (envPrivateToken) {
    const { locationId, token } = envPrivateToken
    await storeEnvPrivateToken(store, keys, locationId, token, logger, Date.now())
  }
  const engine = { store, keys, appId, logger, metrics, holder, refreshIdleMs, report }
  if (!app) return { tokens: new GhlTokens(engine), app: undefined }
  const oauth = createGhlOAuthClient(app)
  held.hold('GHL OAuth client', () => oauth.close())
  const agency = createGhlAgencyClient({ apiUrl: app.apiUrl, appId: app.appId, limiter })
  held.hold('GHL agency client', () => agency.close())
  // The minter asks the engine for company tokens, and the engine asks the minter for location tokens.
  const minter = createGhlLocationMinter({
    store,
    agency,
    appId: app.appId,
    companyToken: (companyId) => tokens.accessToken(tokens.owner(companyId, 'Company')),
    invalidate: (token) => tokens.invalidate(token),
  })
  const tokens: GhlTokens = new GhlTokens({ ...engine, oauth, locationMinter: minter })
  const installs = new GhlInstalls({ store, tokens, oauth, agency, appId: app.appId, logger, now })
  const facts = new GhlLocationFacts({ store, appId: app.appId, logger })
  return { tokens, app: { settings: app, installs, facts } }
}

function buildGhlApi(
  config: GatewayConfig,
  tokens: GhlTokens,
  limiter: GhlRateLimiter,
  metrics: Metrics,
  held: ReleaseStack,
): GhlApi {
  const api = new GhlApi({ apiUrl: config.GHL_API_URL, tokens, limiter, metrics })
  held.hold('GHL API client', () => api.close())
  return api
}

/**
 * What another process's announcement (`store.announceWork`) does here: deliveries may be due →
 * wake the worker; destinations changed (a probe request) → reload them now.
 */
export function onAnnouncement({
  worker,
  destinations,
  logger,
}: Pick<Assembly, 'worker' | 'destinations' | 'logger'>): (topic: WorkTopic) => void {
  return (topic) => {
    if (topic === 'deliveries') worker.wake()
    else
      destinations
        .reload()
        .catch((error: unknown) => logger.warn({ err: error }, 'reloading destinations failed'))
  }
}

async function migrate(store: Store, logger: Logger): Promise<void> {
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
}

function logBoot({ config, logger, store, registry, destinations }: Assembly, url: string | undefined): void {
  logger.info(
    {
      version: VERSION,
      role: config.ROLE,
      url,
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
    url === undefined
      ? `ghl-gateway ${VERSION} started; webhooks arrive through the handler mounted in the application`
      : `ghl-gateway ${VERSION} listening on ${url}; GoHighLevel webhooks go to ${url}/webhooks/ghl`,
  )
  if (ed25519Backend !== 'libsodium') {
    logger.warn(
      'sodium-native did not load on this platform: Ed25519 signatures are checked with node:crypto at ~1.6x the CPU (same answers for a real key; under OpenSSL before 3.5 it would also accept forgeries under a small-order key, which libsodium refuses)',
    )
  }
}

function urlOf(app: GatewayApp): string {
  const address = app.fastify.server.address()
  if (typeof address !== 'object' || address === null) return String(address)
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`
}
