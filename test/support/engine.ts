import { randomUUID } from 'node:crypto'
import { buildApp, type GatewayApp } from '../../src/app.js'
import { loadConfig } from '../../src/config/index.js'
import type { Handler } from '../../src/deliver/handler-runner.js'
import { Worker } from '../../src/deliver/worker.js'
import { SubscriberRegistry } from '../../src/dispatch/registry.js'
import { type HandlerOptions, handlerSubscriber } from '../../src/gateway.js'
import { createLogger } from '../../src/observe/logger.js'
import { createMetrics } from '../../src/observe/metrics.js'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/types.js'
import { freshPostgresDatabase, freshSqliteFile } from './databases.js'
import { adminApi, drainWorker } from './harness.js'
import { ed25519Signature, LogCapture, type StoreKind, testEd25519Key } from './test-app.js'

export const ADMIN = 'engine-admin-token'

/**
 * The processing engine on a real store with a clock the test moves: ingest through the real
 * HTTP app (`inject`), and a worker that runs only when the test says `runDue()`. Retries,
 * backoff, leases and ordering become deterministic without sleeping.
 */
export interface Engine {
  kind: StoreKind
  store: Store
  registry: SubscriberRegistry
  worker: Worker
  app: GatewayApp
  logs: LogCapture
  clock: { now: number; advance(ms: number): void }
  /** Sends a signed GHL webhook; returns its event id. */
  send(body?: Record<string, unknown>): Promise<string>
  handle(id: string, events: string[], handler: Handler, options?: HandlerOptions): void
  // biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON answers
  api(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: any }>
  /** Runs the worker until nothing more is due at the current time. */
  drain(): Promise<number>
  close(): Promise<void>
}

export async function createEngine(
  kind: StoreKind,
  env: Record<string, string> = {},
  random?: () => number,
): Promise<Engine> {
  const key = testEd25519Key()
  const database = kind === 'sqlite' ? freshSqliteFile() : await freshPostgresDatabase()
  const config = loadConfig({
    env: {
      GHL_ED25519_PUBLIC_KEYS: key.spki,
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'info',
      ...env,
      DATABASE_URL: database.url,
    },
    cwd: '/nonexistent',
  })
  const store = openStore({ url: config.DATABASE_URL, poolSize: 10 })
  await store.migrate()
  const clock = {
    now: Date.parse('2026-11-23T12:00:00.000Z'),
    advance(ms: number) {
      clock.now += ms
    },
  }
  const now = () => clock.now
  const logs = new LogCapture()
  const logger = createLogger({ level: 'info', destination: logs })
  const metrics = createMetrics()
  const registry = new SubscriberRegistry()
  const worker = new Worker({
    store,
    registry,
    logger,
    metrics,
    id: `test-worker-${kind}`,
    now,
    random,
    leaseGraceMs: 1000,
  })
  const app = buildApp({ config, store, logger, metrics, registry, now, checkResponses: true })
  await app.fastify.ready()

  const engine: Engine = {
    kind,
    store,
    registry,
    worker,
    app,
    logs,
    clock,
    async send(body = {}) {
      const payload = JSON.stringify({
        type: 'ContactCreate',
        locationId: 'loc_1',
        id: `contact_${randomUUID().slice(0, 8)}`,
        webhookId: randomUUID(),
        timestamp: new Date(clock.now).toISOString(),
        ...body,
      })
      const response = await app.fastify.inject({
        method: 'POST',
        url: '/webhooks/ghl',
        payload,
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': ed25519Signature(key.privateKey, payload),
        },
      })
      if (response.statusCode !== 200) throw new Error(`send failed: ${response.statusCode} ${response.body}`)
      return response.json().eventId
    },
    handle(id, events, handler, options = {}) {
      registry.add(
        handlerSubscriber(id, events, handler, options, () => ({ store, types: app.types, logger })),
      )
    },
    api: (method, url, body) => adminApi(app.fastify, ADMIN, method, url, body),
    drain: () => drainWorker(worker),
    async close() {
      await worker.stop(1000)
      await app.fastify.close()
      await store.close()
      if ('remove' in database) database.remove()
      else await database.drop()
    },
  }
  return engine
}
