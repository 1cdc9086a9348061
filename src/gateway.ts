import type { GatewayApp } from './app.js'
import { type Assembly, assemble, open } from './assemble.js'
import type { EventPattern } from './catalog/event-patterns.js'
import type {
  AnyGhlEvent,
  CanonicalEventName,
  EventFor,
  GatewayEvent,
  GatewayEventType,
  GhlEventName,
} from './catalog/index.js'
import { type GatewayConfig, loadConfig } from './config/index.js'
import { type Handler, handlerRunner } from './deliver/handler-runner.js'
import type { Worker } from './deliver/worker.js'
import type { RunAttempt } from './dispatch/attempt.js'
import { SubscriberRegistry } from './dispatch/registry.js'
import { type RetryPolicyInput, retryPolicy } from './dispatch/retry-policy.js'
import type { Subscriber } from './dispatch/subscribers.js'
import { toMilliseconds } from './duration.js'
import type { Env } from './env-substitution.js'
import { GatewayError, RETRY_AFTER_SECONDS } from './errors.js'
import type { GhlApi } from './ghl/api-client.js'
import { GhlNotConfiguredError } from './ghl/errors.js'
import type { GhlClient } from './ghl/ghl-client.js'
import type { Logger } from './observe/logger.js'
import { type FetchHandler, fetchHandler } from './receive/fetch-handler.js'
import type { MountOptions } from './receive/mounted-request.js'
import { type NodeHandler, nodeHandler } from './receive/node-handler.js'
import type { WebhookEndpoint } from './receive/webhook-endpoint.js'
import type { Store } from './store/types.js'

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
  /**
   * Runs `handler` for one of the gateway's own operational events (`gateway.delivery.dead_lettered`,
   * …; docs/operations.md) — typed. `*` and other patterns never match them.
   */
  on<T extends GatewayEventType>(
    event: T,
    handler: Handler<GatewayEvent<T>>,
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
  /**
   * Opens the store, applies migrations and starts the worker, without an HTTP server of its own:
   * webhooks arrive through `nodeHandler()`, `fetchHandler()` or the Fastify plugin in your app.
   * Idempotent; after `listen()` it resolves at once.
   */
  start(): Promise<void>
  /**
   * The ingest route for `node:http`, Express and Connect: `app.use(gw.nodeHandler())` serves
   * `POST /webhooks/<source>` with the guarantees of `listen()` (verified on the raw bytes, stored
   * before the 200, duplicates once). Mount it before any body parser. Other paths go to `next()`.
   */
  nodeHandler(options?: MountOptions): NodeHandler
  /**
   * The ingest route for Fetch-API servers (Hono, Next.js route handlers): `(request) => Response`
   * for `POST <path>/<source>`, with the guarantees of `listen()`.
   */
  fetchHandler(options?: MountOptions): FetchHandler
  /**
   * GHL's API for a location (or `{ companyId }`) outside handlers — the client handlers get as
   * `ctx.ghl`, with the same tokens, limits and errors. Works once the gateway started (`start()` or `listen()`).
   */
  ghl(target: string | { companyId: string }): GhlClient
  /** Drains and stops everything; idempotent. */
  close(): Promise<void>
  /** The running parts, once started or listening (tests, advanced use). */
  readonly running: RunningGateway | undefined
}

export interface RunningGateway {
  app: GatewayApp
  store: Store
  worker: Worker
  logger: Logger
  config: GatewayConfig
  /** Where it listens; undefined after `start()`, which does not listen. */
  url: string | undefined
}

/**
 * The library entry point: `createGateway().on('ContactCreate', handler).listen()`. The CLI's
 * `serve` is the same gateway without handlers (destinations come from the config file).
 */
export function createGateway(options: GatewayOptions = {}): Gateway {
  const registry = new SubscriberRegistry()
  const usedIds = new Map<string, number>()
  let assembly: Assembly | undefined
  let opened: { listens: boolean; done: Promise<{ url: string | undefined }> } | undefined
  let running: RunningGateway | undefined
  let closing: Promise<void> | undefined
  // Handlers are registered before the store exists; they first run once the worker started,
  // which is after `assembly` is set.
  const handlerParts = () => {
    if (!assembly) throw new Error('a handler ran before the gateway was assembled')
    return assembly
  }

  const register = (events: string[], handler: Handler<never>, handlerOptions: HandlerOptions = {}) => {
    const base = handlerOptions.id ?? `handler:${events.join(',')}`
    const count = (usedIds.get(base) ?? 0) + 1
    usedIds.set(base, count)
    const id = handlerOptions.id ?? (count === 1 ? base : `${base}#${count}`)
    registry.add(handlerSubscriber(id, events, handler as Handler, handlerOptions, handlerParts))
  }

  /** Assembles and opens the gateway; `listenOn` undefined: no HTTP server of its own (`start()`). */
  const open_ = async (listenOn: { port?: number; host?: string } | undefined) => {
    const config =
      options.config ??
      loadConfig({
        env: options.env,
        overrides: {
          database: options.database,
          port: listenOn?.port ?? options.port,
          host: listenOn?.host ?? options.host,
          config: options.configFile,
        },
      })
    if (options.config && listenOn?.port !== undefined) config.PORT = listenOn.port
    const parts = await assemble(config, { registry, logger: options.logger, env: options.env })
    assembly = parts
    try {
      const url = listenOn === undefined ? await open(parts, { listen: false }) : await open(parts)
      running = {
        app: parts.app,
        store: parts.store,
        worker: parts.worker,
        logger: parts.logger,
        config,
        url,
      }
      return { url }
    } catch (error) {
      assembly = undefined
      await parts.release().catch(() => {})
      throw error
    }
  }

  const opening = (listenOn: { port?: number; host?: string } | undefined) => {
    // A failed start may be retried; a successful one is answered again with its URL.
    opened ??= {
      listens: listenOn !== undefined,
      done: open_(listenOn).catch((error: unknown) => {
        opened = undefined
        throw error
      }),
    }
    return opened
  }

  // Mounted handlers find the endpoint at their first request: requests that arrive while start()
  // runs wait for it; before any start() they are answered 503 not_started.
  const endpoint = async (): Promise<WebhookEndpoint> => {
    await opened?.done.catch(() => {})
    if (assembly) return assembly.app.endpoint
    throw new GatewayError(
      'not_started',
      'the gateway has not started: call await gw.start() before taking requests',
      {
        retryAfter: RETRY_AFTER_SECONDS,
      },
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

    ghl(target) {
      if (!assembly)
        throw new Error('gw.ghl() works once the gateway started: await gw.start() or gw.listen() first')
      return ghlApiOf(assembly).for(target)
    },

    async listen(listenOptions = {}) {
      if (opened && !opened.listens) {
        throw new Error(
          'this gateway was started without listening (start()); call listen() instead of start(), not after it',
        )
      }
      const { url } = await opening(listenOptions).done
      return { url: url! }
    },

    async start() {
      await opening(opened?.listens ? {} : undefined).done
    },

    nodeHandler(mountOptions) {
      return nodeHandler(endpoint, mountOptions)
    },

    fetchHandler(mountOptions) {
      return fetchHandler(endpoint, mountOptions)
    },

    close() {
      closing ??= (async () => {
        // A close during listen() or start() stops what it builds, once it is built.
        await opened?.done.catch(() => {})
        if (!assembly) {
          closing = undefined
          return
        }
        await assembly.release()
        assembly.logger.info('stopped')
        assembly.logger.flush()
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
  bind: () => {
    store: Store
    types: GatewayApp['types']
    logger: Logger
    ghlApi?: GhlApi | undefined
    tenantOf?: (locationId: string) => string | undefined
  },
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
      if (!runner) {
        const parts = bind()
        runner = handlerRunner({ handler, ...parts, ghl: parts.ghlApi })
      }
      return runner(delivery, context)
    },
  }
}

function ghlApiOf(assembly: Assembly): GhlApi {
  if (assembly.ghlApi) return assembly.ghlApi
  throw new GhlNotConfiguredError(
    'gw.ghl() needs a GHL app: set GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_TOKEN_KEY (docs/ghl-apps.md)',
  )
}
