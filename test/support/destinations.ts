import { randomUUID } from 'node:crypto'
import type { LookupFunction } from 'node:net'
import type { GatewayApp } from '../../src/app.js'
import type { Worker } from '../../src/deliver/worker.js'
import type { DestinationSet } from '../../src/destinations/destination-set.js'
import { type DestinationInput, destinationSchema } from '../../src/destinations/schema.js'
import type { SubscriberRegistry } from '../../src/dispatch/registry.js'
import type { Metrics } from '../../src/observe/metrics.js'
import type { Delivery, Store } from '../../src/store/types.js'
import { assembleForTest, type TestAssembly } from './assembly.js'
import { adminApi, drainWorker } from './harness.js'
import { ed25519Signature, type LogCapture, type StoreKind, testEd25519Key } from './test-app.js'

export const ADMIN = 'destinations-admin-token'
export const START = Date.parse('2026-11-23T12:00:00.000Z')

/**
 * The processing engine with HTTP destinations, assembled as `listen()` assembles it, on a real
 * store, with a clock the test moves (like test/support/engine.ts): webhooks go in through the real app (`inject`), the worker runs
 * only when the test says `runDue()`/`drain()`, and destinations send to real local servers.
 * `realClock: true` runs the worker on its own (started, Date.now) for timing tests.
 */
// biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON answers
type ApiAnswer = { status: number; json: any }

export interface DestinationEngine {
  kind: StoreKind
  store: Store
  registry: SubscriberRegistry
  worker: Worker
  app: GatewayApp
  destinations: DestinationSet
  metrics: Metrics
  logs: LogCapture
  clock: { now: number; advance(ms: number): void }
  /** The assembly itself (what `open()` would wire, e.g. cross-process announcements). */
  assembly: TestAssembly
  /** Sends a signed GHL webhook (ContactCreate unless the body says otherwise); returns its event id. */
  send(body?: Record<string, unknown>): Promise<string>
  /**
   * Posts these exact bytes, signed, to /webhooks/ghl, with these extra headers (`traceparent`, or
   * an `x-ghl-signature` that replaces the good one); returns the answer whatever it is.
   */
  post(payload: string | Buffer, headers?: Record<string, string>): Promise<ApiAnswer>
  api(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<ApiAnswer>
  /** Runs the worker until nothing more is due at the current time. */
  drain(): Promise<number>
  /** The deliveries of an event, with attempts. */
  deliveries(
    eventId: string,
  ): Promise<(Delivery & { attemptHistory: import('../../src/store/types.js').Attempt[] })[]>
  close(): Promise<void>
}

export interface DestinationEngineOptions {
  /** Config-file destinations (parsed with the config schema). */
  configured?: DestinationInput[]
  /** @default ['127.0.0.1'] — the local sinks */
  egressAllow?: string[]
  env?: Record<string, string>
  random?: () => number
  lookup?: LookupFunction
  /** Run the worker on the real clock, started. @default false */
  realClock?: boolean
  /** Worker concurrency. @default 32 */
  concurrency?: number
  /** The worker's safety-net poll (real clock only). @default 200 */
  pollIntervalMs?: number
  /** An existing database (a second process on the same data). */
  database?: { url: string }
}

export async function createDestinationEngine(
  kind: StoreKind,
  options: DestinationEngineOptions = {},
): Promise<DestinationEngine> {
  const key = testEd25519Key()
  const clock = {
    now: START,
    advance(ms: number) {
      clock.now += ms
    },
  }
  const now = options.realClock ? Date.now : () => clock.now
  const assembly = await assembleForTest(
    kind,
    {
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'info',
      WORKER_LEASE_GRACE: '1s',
      WORKER_CONCURRENCY: String(options.concurrency ?? 32),
      WORKER_POLL_INTERVAL: String(options.pollIntervalMs ?? 200),
      SHUTDOWN_TIMEOUT: '1s',
      ...options.env,
      // Keys a test adds are trusted beside the engine's own, which send() signs with.
      GHL_ED25519_PUBLIC_KEYS: [key.spki, options.env?.GHL_ED25519_PUBLIC_KEYS].filter(Boolean).join(','),
    },
    {
      database: options.database,
      now,
      random: options.random,
      destinations: {
        configured: (options.configured ?? []).map((d) => destinationSchema.parse(d)),
        egressAllow: options.egressAllow ?? ['127.0.0.1'],
        reloadIntervalMs: 0,
        lookup: options.lookup,
      },
    },
  )
  const { store, registry, worker, app, destinations, metrics, logs } = assembly
  if (options.realClock) worker.start()

  const engine: DestinationEngine = {
    kind,
    store,
    registry,
    worker,
    app,
    destinations,
    metrics,
    logs,
    clock,
    assembly,
    async send(body = {}) {
      const payload = JSON.stringify({
        type: 'ContactCreate',
        locationId: 'loc_1',
        id: `contact_${randomUUID().slice(0, 8)}`,
        webhookId: randomUUID(),
        timestamp: new Date(now()).toISOString(),
        ...body,
      })
      const response = await engine.post(payload)
      if (response.status !== 200)
        throw new Error(`send failed: ${response.status} ${JSON.stringify(response.json)}`)
      return response.json.eventId
    },
    async post(payload, headers = {}) {
      const response = await app.fastify.inject({
        method: 'POST',
        url: '/webhooks/ghl',
        payload,
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': ed25519Signature(key.privateKey, payload),
          ...headers,
        },
      })
      return { status: response.statusCode, json: response.json() }
    },
    api: (method, url, body) => adminApi(app.fastify, ADMIN, method, url, body),
    drain: () => drainWorker(worker),
    deliveries: (eventId) => store.eventDeliveries(eventId),
    close: () => assembly.close(),
  }
  return engine
}

/** A Standard Webhooks secret (`whsec_` + base64 of 32 random bytes). */
export function newSigningSecret(): string {
  return `whsec_${Buffer.from(randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, ''), 'hex').toString('base64')}`
}
