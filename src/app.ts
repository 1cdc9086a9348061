import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify'
import { adminAccess, requireAdmin } from './api/auth.js'
import { catalogRoutes } from './api/catalog-routes.js'
import { consoleRoutes } from './api/console-routes.js'
import { deliveriesRoutes } from './api/deliveries-routes.js'
import { destinationsRoutes } from './api/destinations-routes.js'
import { dlqJobsRoutes } from './api/dlq-jobs-routes.js'
import { entitiesRoutes } from './api/entities-routes.js'
import { eventsRoutes } from './api/events-routes.js'
import { ghlRoutes } from './api/ghl-routes.js'
import { ghlTokenRoutes } from './api/ghl-token-routes.js'
import { healthRoutes } from './api/health-routes.js'
import { installRoutes } from './api/install-routes.js'
import { installsRoutes } from './api/installs-routes.js'
import { locationsRoutes } from './api/locations-routes.js'
import { registerOpenApi } from './api/openapi.js'
import { overviewRoutes } from './api/overview-routes.js'
import { sessionRoutes } from './api/session-routes.js'
import { streamRoutes } from './api/stream-routes.js'
import type { TypeMapper } from './catalog/index.js'
import type { GatewayConfig, GhlAppSettings } from './config/index.js'
import type { DestinationSet } from './destinations/destination-set.js'
import type { SubscriberRegistry } from './dispatch/registry.js'
import { sendError, toGatewayError } from './error-replies.js'
import { coerceError, GatewayError } from './errors.js'
import type { GhlApi } from './ghl/api-client.js'
import type { GhlInstalls } from './ghl/installs.js'
import type { GhlTokens } from './ghl/tokens.js'
import type { LiveStream } from './observe/live-stream.js'
import type { Logger } from './observe/logger.js'
import type { Metrics } from './observe/metrics.js'
import { setUpTransport, transportOptions } from './receive/http-server.js'
import { createIngestor, type IngestHandoff, type Ingestor } from './receive/ingestor.js'
import type { UninstalledLocations } from './receive/new-event.js'
import { readiness } from './receive/readiness.js'
import { buildSources, type SourceRuntime } from './receive/sources.js'
import { clientErrorHandler, frameworkError } from './receive/transport-errors.js'
import { createWebhookEndpoint, requestIdOf, type WebhookEndpoint } from './receive/webhook-endpoint.js'
import { webhookRoutes } from './receive/webhook-routes.js'
import type { GatewayInstance, Store } from './store/types.js'
import { readGhlSigner } from './verify/index.js'

/** What the app is built from; the composition root (`src/assemble.ts`) supplies it. */
export interface AppDeps {
  config: GatewayConfig
  /** GHL's API for POST /api/ghl/call, when a GHL app is configured. */
  ghlApi?: GhlApi | undefined
  store: Store
  logger: Logger
  metrics: Metrics
  /** Clock for received times; tests fix it. @default Date.now */
  now?: () => number
  /** This process, as recorded in the store's heartbeat. */
  instance: GatewayInstance
  /** Subscribers (handlers, destinations). */
  registry: SubscriberRegistry
  /** Deliveries became due (a commit created them, a replay reset them): wake the workers. */
  onWork: () => void
  /** This process's worker: new deliveries it can start at once skip the claim. */
  handoff?: IngestHandoff
  /** Back-pressure started (`over`) or ended: the operational events. */
  onHighWater?: (over: boolean, backlog: number, highWater: number) => void
  /** This process's live stream (GET /api/stream). */
  liveStream: LiveStream
  /** HTTP destinations (their subscribers are in `registry`); enables /api/destinations. */
  destinations?: DestinationSet
  /** The config file's renames. */
  types: TypeMapper
  /** Serve the webhook routes. False for `ROLE=worker` processes. @default true */
  acceptWebhooks?: boolean
  /** Check every admin answer against its schema (tests; see api/openapi.ts). @default false */
  checkResponses?: boolean
  /** The built web console served at /ui. @default this package's dist/ui */
  consoleDir?: string
  /** A bulk dead-letter job was created: the job runner looks now. @default nothing (it polls) */
  onDlqJob?: () => void
  /** The GHL token engine (Private Integration Tokens are set through it); undefined without GHL_TOKEN_KEY. */
  ghlTokens?: GhlTokens
  /** The GHL app, when one is configured: its install routes (/oauth/install, /oauth/callback). */
  ghl?: {
    settings: GhlAppSettings
    installs: GhlInstalls
    uninstalled: UninstalledLocations
    onTenantChanged: () => Promise<void>
  }
}

export interface GatewayApp {
  fastify: FastifyInstance
  ingestor: Ingestor
  /** The ingest endpoint: the gateway's webhook routes and every mounted adapter run through it. */
  endpoint: WebhookEndpoint
  metrics: Metrics
  sources: ReadonlyMap<string, SourceRuntime>
  /** Canonical event types → published types (the config file's renames). */
  types: TypeMapper
  registry: SubscriberRegistry
  instance: GatewayInstance
  /** Committed events (and, from the worker, attempts) of this process, for GET /api/stream. */
  liveStream: LiveStream
  /** Starts answering 503 to new webhooks and readiness checks (first stage of shutdown). */
  beginDrain(): void
  isDraining(): boolean
}

/**
 * Builds the HTTP app without listening: tests call `fastify.inject()`, `server.ts` calls listen.
 */
export function buildApp(deps: AppDeps): GatewayApp {
  const { config, store, logger, metrics, registry, liveStream, onWork, types, instance } = deps
  let draining = false
  const isDraining = () => draining

  const fastify = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // We write one line per webhook ourselves (with the outcome); Fastify's request lines would double it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.MAX_BODY_BYTES,
    trustProxy: trustProxy(config.TRUST_PROXY),
    requestIdHeader: false,
    genReqId: (request) => requestIdOf(request.headers),
    // Timeouts and Node's server options; the connection cap and the rest of the transport below.
    ...transportOptions(config),
    // Draining answers come from our routes (503 shutting_down with Retry-After, in the catalog);
    // Fastify's own early 503 would bypass the error catalog, logs and metrics.
    return503OnClosing: false,
    // Path segments (source names, ids) up to 256 characters rather than 100 (then 414, in the catalog).
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (error, request, reply) =>
      sendError(frameworkError(error), request, reply, logger, endpoint),
    clientErrorHandler: clientErrorHandler(config.REQUEST_TIMEOUT),
  })
  setUpTransport(fastify, { config, metrics, logger })
  // One set of admin credentials for every admin route: the token, and console sessions on one clock.
  const access = adminAccess({
    token: config.ADMIN_TOKEN,
    sessionTtlMs: config.CONSOLE_SESSION_TTL,
    now: deps.now,
  })
  registerOpenApi(fastify, { access, checkResponses: deps.checkResponses })

  const ingestor = createIngestor({
    store,
    metrics,
    logger,
    maxBatch: config.INGEST_BATCH_MAX,
    maxHoldMs: config.INGEST_COMMIT_HOLD,
    highWater: config.BACKPRESSURE_HIGH_WATER,
    onWork,
    handoff: deps.handoff,
    onHighWater: deps.onHighWater,
  })
  const sources = buildSources(config)
  metrics.statsSource.current = async () => {
    const now = (deps.now ?? Date.now)()
    const stats = await store.processingStats(now)
    return {
      deadDeliveries: stats.deadDeliveries,
      oldestDueSeconds: stats.oldestDueAt === null ? 0 : Math.max(0, (now - stats.oldestDueAt) / 1000),
    }
  }

  metrics.checkpointSource.current = () => store.traits.checkpointStats()

  // One readiness for /readyz and GHL's check, on this server and on mounted handlers.
  const ready = readiness({
    store,
    instance,
    isDraining,
    recentStorageFailure: ingestor.recentStorageFailure,
  })
  const endpoint = createWebhookEndpoint({
    sources,
    registry,
    types,
    ingestor,
    metrics,
    logger,
    maxBodyBytes: config.MAX_BODY_BYTES,
    ghlTimestampWindowMs: config.GHL_TIMESTAMP_WINDOW,
    ghlUninstalled: deps.ghl?.uninstalled,
    isDraining,
    ready,
    toError: (thrown) => toGatewayError(coerceError(thrown) as FastifyError, store, config.MAX_BODY_BYTES),
    now: deps.now,
    liveStream,
  })

  fastify.setErrorHandler((error: FastifyError | GatewayError, request, reply) =>
    sendError(toGatewayError(error, store, config.MAX_BODY_BYTES), request, reply, logger, endpoint),
  )
  fastify.setNotFoundHandler((request, reply) =>
    sendError(
      new GatewayError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
      logger,
      endpoint,
    ),
  )

  void fastify.register(healthRoutes, { store, ready, isDraining, access, now: deps.now })
  if (deps.acceptWebhooks !== false) void fastify.register(webhookRoutes, { endpoint, prefix: '/webhooks' })
  void fastify.register(sessionRoutes, { access, logger })
  void fastify.register(eventsRoutes, { store, access, types })
  void fastify.register(entitiesRoutes, { store, access, types })
  void fastify.register(catalogRoutes, {
    access,
    types,
    store,
    now: deps.now,
    sampleSigner: config.CONSOLE_SAMPLE_SIGNING_KEY
      ? readGhlSigner(config.CONSOLE_SAMPLE_SIGNING_KEY, 'CONSOLE_SAMPLE_SIGNING_KEY')
      : undefined,
  })
  void fastify.register(deliveriesRoutes, {
    store,
    access,
    types,
    registry,
    onWork,
    onReplayed: deps.destinations?.admin.probeAfterReplay.bind(deps.destinations.admin),
    now: deps.now,
  })
  void fastify.register(locationsRoutes, { store, access, types, now: deps.now })
  void fastify.register(dlqJobsRoutes, {
    store,
    access,
    types,
    onJob: deps.onDlqJob ?? (() => {}),
    onReplayed: deps.destinations?.admin.probeAfterReplay.bind(deps.destinations.admin),
    now: deps.now,
  })
  void fastify.register(streamRoutes, { liveStream, access })
  void fastify.register(ghlTokenRoutes, { store, access, ghlTokens: deps.ghlTokens })
  void fastify.register(installsRoutes, {
    store,
    access,
    appId: deps.ghl?.settings.appId,
    onTenantChanged: deps.ghl?.onTenantChanged,
    now: deps.now,
  })
  void fastify.register(overviewRoutes, { store, destinations: deps.destinations, access, now: deps.now })
  if (deps.destinations) {
    void fastify.register(destinationsRoutes, {
      destinations: deps.destinations,
      store,
      access,
      types,
      now: deps.now,
    })
  }
  void fastify.register(ghlRoutes, { ghlApi: deps.ghlApi, access })
  void fastify.register(consoleRoutes, { dir: deps.consoleDir })
  if (deps.ghl) {
    const { settings, installs } = deps.ghl
    void fastify.register(installRoutes, { ...settings, installs, logger, now: deps.now })
  }
  void fastify.register(async (scope) => {
    scope.addHook('onRequest', requireAdmin(access))
    scope.get('/metrics', async (_request, reply) => {
      reply.header('content-type', metrics.registry.contentType)
      return metrics.registry.metrics()
    })
  })

  fastify.addHook('onClose', async () => {
    await ingestor.close()
  })

  return {
    fastify,
    ingestor,
    endpoint,
    metrics,
    sources,
    types,
    registry,
    instance,
    liveStream,
    beginDrain: () => {
      draining = true
    },
    isDraining,
  }
}

/** TRUST_PROXY as the env schema read it; a hop count becomes Fastify's "trust the first n hops". */
function trustProxy(
  value: GatewayConfig['TRUST_PROXY'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value !== 'number') return value
  return (_address, hop) => hop < value
}
