import { randomUUID } from 'node:crypto'
import type { GatewayApp } from '../../src/app.js'
import type { Handler } from '../../src/deliver/handler-runner.js'
import type { Worker } from '../../src/deliver/worker.js'
import type { SubscriberRegistry } from '../../src/dispatch/registry.js'
import { type HandlerOptions, handlerSubscriber } from '../../src/gateway.js'
import type { Store } from '../../src/store/types.js'
import { assembleForTest } from './assembly.js'
import { adminApi, drainWorker } from './harness.js'
import { ed25519Signature, type LogCapture, type StoreKind, testEd25519Key } from './test-app.js'

export const ADMIN = 'engine-admin-token'

/**
 * The processing engine, assembled as `listen()` assembles it, on a real store with a clock the test moves: ingest through the real
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
  /**
   * Waits until the gateway's own operational events reported so far are stored: they are written
   * after the request that caused them has been answered.
   */
  operationalStored(): Promise<void>
  close(): Promise<void>
}

export async function createEngine(
  kind: StoreKind,
  env: Record<string, string> = {},
  random?: () => number,
): Promise<Engine> {
  const key = testEd25519Key()
  const clock = {
    now: Date.parse('2026-11-23T12:00:00.000Z'),
    advance(ms: number) {
      clock.now += ms
    },
  }
  const now = () => clock.now
  const assembly = await assembleForTest(
    kind,
    {
      GHL_ED25519_PUBLIC_KEYS: key.spki,
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'info',
      WORKER_LEASE_GRACE: '1s',
      SHUTDOWN_TIMEOUT: '1s',
      ...env,
    },
    { now, random, destinations: { reloadIntervalMs: 0 } },
  )
  const { store, registry, worker, app, logs } = assembly

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
      registry.add(handlerSubscriber(id, events, handler, options, () => assembly))
    },
    api: (method, url, body) => adminApi(app.fastify, ADMIN, method, url, body),
    drain: () => drainWorker(worker),
    operationalStored: async () => {
      await assembly.operational?.settled()
    },
    close: () => assembly.close(),
  }
  return engine
}
