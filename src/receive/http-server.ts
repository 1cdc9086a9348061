import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import type { GatewayConfig } from '../config/index.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import { trackConnections } from './connections.js'
import { expectationFailed } from './transport-errors.js'

/**
 * The Node HTTP server under Fastify: how long a client may take, how many connections one process
 * holds, and the answers given below Fastify's routes.
 */

type TransportConfig = Pick<GatewayConfig, 'REQUEST_TIMEOUT' | 'KEEP_ALIVE_TIMEOUT' | 'MAX_CONNECTIONS'>

/** One log line per this interval at most while connections are being dropped (the metric counts each). */
const DROP_LOG_INTERVAL_MS = 10_000

/** Fastify's server options for the timeouts; `http` goes to Node's `http.createServer`. */
export function transportOptions(config: TransportConfig) {
  const timeout = config.REQUEST_TIMEOUT
  return {
    // Default 65 s: longer than load balancers keep idle connections (~60 s); a server that closes
    // an idle connection first causes resets under load.
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT,
    requestTimeout: timeout,
    http: {
      // GHL always sends Host; a client that does not still gets an answer in the catalog's shape
      // rather than Node's bare 400.
      requireHostHeader: false,
      // Headers and body share one deadline, counted from the request's first byte.
      headersTimeout: timeout,
      requestTimeout: timeout,
      // Node compares these deadlines only on this tick (default 30 s, so a 30 s timeout fired after
      // up to 60 s for headers and 90 s for a body). A walk over the connections with a request in
      // progress, in C++: cheap at 1 s.
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(timeout / 4))),
    },
  } satisfies Partial<FastifyServerOptions> & { http: object }
}

/**
 * Caps connections, tracks them (answers in order, closes without resets) and handles `Expect`.
 * Call once, right after creating the Fastify instance.
 */
export function setUpTransport(
  fastify: FastifyInstance,
  options: { config: TransportConfig; metrics: Metrics; logger: Logger },
): void {
  const { config, metrics, logger } = options
  const server = fastify.server
  const connections = trackConnections(server)
  metrics.connectionsSource.current = () => connections.open
  fastify.addHook('preClose', async () => connections.stopLingering())

  server.maxConnections = config.MAX_CONNECTIONS
  let droppedSinceLine = 0
  let lastLineAt = Number.NEGATIVE_INFINITY
  server.on('drop', (peer) => {
    metrics.connectionsDropped.inc()
    droppedSinceLine++
    const now = Date.now()
    if (now - lastLineAt < DROP_LOG_INTERVAL_MS) return
    logger.warn(
      {
        maxConnections: config.MAX_CONNECTIONS,
        dropped: droppedSinceLine,
        remoteAddress: peer?.remoteAddress,
      },
      `MAX_CONNECTIONS (${config.MAX_CONNECTIONS}) connections are open: closed ${droppedSinceLine} new ` +
        'connection(s) at once since the last such line; raise MAX_CONNECTIONS or lower KEEP_ALIVE_TIMEOUT',
    )
    droppedSinceLine = 0
    lastLineAt = now
  })

  // `Expect: 100-continue`: Node answers 100 at once unless someone listens here, and then the
  // sender is told to send a body we may refuse a moment later (413, 415). Instead the request is
  // routed as usual and the body invited only when something starts reading it: after the route's
  // checks (unknown source 404 → 503 → 429 → media type 415), and after Fastify compared the
  // declared Content-Length with the limit (413). Nothing of this runs for requests without Expect.
  server.on('checkContinue', (request, response) => {
    request.once('resume', () => {
      // Node also reads (and drops) the body of a request answered without reading it.
      if (!response.headersSent) response.writeContinue()
    })
    server.emit('request', request, response)
  })
  server.on('checkExpectation', expectationFailed)
}
