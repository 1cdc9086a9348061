import { mkdtempSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { freshPostgresDatabase } from './support/databases.js'
import {
  createTestKeyPair,
  type GatewayProcess,
  signedWebhook,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from './support/gateway-process.js'
import { startSink } from './support/sink.js'
import { until } from './support/until.js'

/**
 * Scale-out: three gateway processes on one PostgreSQL, webhooks spread over all three (as a load
 * balancer would), one process SIGKILLed in the middle. At the end every acked event reached the
 * destination (exactly once after dedupe by webhook-id), in receive order per entity, and no
 * delivery is left open or leased.
 */

const EVENTS = Number(process.env.SCALE_OUT_EVENTS ?? 20_000)
const ENTITIES = 500
const LANES = 48
const keys = createTestKeyPair()

afterAll(async () => {
  await stopAllGatewayProcesses()
})

interface Delivered {
  webhookId: string
  entity: string
  order: number
}

describe('three gateway processes on one PostgreSQL', () => {
  it(`delivers ${EVENTS.toLocaleString('en-US')} events exactly once, in entity order, through a SIGKILL`, async () => {
    const database = await freshPostgresDatabase()
    // The destination receives the envelope; the sink keeps what arrived, in arrival order.
    const sink = await startSink()
    const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-scale-'))
    const configFile = join(dir, 'ghl-gateway.config.yaml')
    writeFileSync(
      configFile,
      `destinations:
  - id: sink
    url: ${sink.url}
    events: ["*"]
    ordered: entity
    timeout: 2s
    rateLimit: { concurrency: 8 }
    retry: { minDelay: 100ms, maxDelay: 1s, maxAttempts: 50 }
`,
    )
    const env = {
      GATEWAY_CONFIG: configFile,
      EGRESS_ALLOW: '127.0.0.1',
      WORKER_LEASE_GRACE: '500ms',
      PG_POOL_SIZE: '6',
      BACKPRESSURE_HIGH_WATER: '0',
    }
    const gateways: GatewayProcess[] = []
    try {
      for (let i = 0; i < 3; i++)
        gateways.push(await startGatewayProcess({ databaseUrl: database.url, keyPair: keys, env }))
      const alive = new Set(gateways)

      // 48 lanes; each lane owns some entities and sends their events one after the other (an
      // entity's order is its send order), to any live process, retrying elsewhere on failure.
      const agent = new Agent({ keepAlive: true, maxSockets: LANES })
      const acked = new Map<string, Delivered>()
      let killed = false
      let next = 0
      const send = (gateway: GatewayProcess, body: Buffer, headers: Record<string, string>) =>
        new Promise<number>((resolve) => {
          const req = request(
            `${gateway.url}/webhooks/ghl`,
            { method: 'POST', headers, agent, timeout: 10_000 },
            (res) => {
              res.resume()
              res.on('end', () => resolve(res.statusCode ?? 0))
            },
          )
          req.on('error', () => resolve(0))
          req.on('timeout', () => req.destroy())
          req.end(body)
        })
      const lane = async (laneIndex: number) => {
        for (;;) {
          const n = next++
          if (n >= EVENTS) return
          // Entity n % ENTITIES gets its k-th event now; lanes own disjoint entity sets so the
          // same entity is never sent by two lanes at once.
          const entityIndex = (n % ((ENTITIES / LANES) | 0)) * LANES + laneIndex
          const entity = `c_${entityIndex}`
          const order = n
          const webhook = signedWebhook(keys.privateKey, {
            type: 'ContactUpdate',
            id: entity,
            locationId: 'loc_scale',
            order,
            webhookId: crypto.randomUUID(),
          })
          const webhookId = JSON.parse(webhook.body.toString()).webhookId as string
          for (let attempt = 0; ; attempt++) {
            const live = [...alive]
            const gateway = live[(n + attempt) % live.length]!
            const status = await send(gateway, webhook.body, webhook.headers)
            if (status === 200) {
              acked.set(webhookId, { webhookId, entity, order })
              break
            }
            if (attempt > 200) throw new Error(`event ${n} was never acked (last status ${status})`)
            await new Promise((resolve) => setTimeout(resolve, 20))
          }
          if (!killed && acked.size >= EVENTS / 3) {
            killed = true
            const victim = gateways[1]!
            alive.delete(victim)
            await victim.kill('SIGKILL')
          }
        }
      }
      const started = Date.now()
      await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)))
      const ingestSeconds = (Date.now() - started) / 1000
      agent.destroy()
      expect(acked.size).toBe(EVENTS)

      // Wait (bounded) for the destination to have every acked event.
      const deliveredIds = () => new Set(sink.requests.map((r) => r.headers['webhook-id'] as string))
      // No throw on timeout: the assertions below name what was lost. The length first: a Set of
      // every request each 25 ms would take the event loop from the sink.
      await until(
        () => sink.requests.length >= EVENTS && deliveredIds().size >= EVENTS,
        'every delivery',
        120_000,
      ).catch(() => {})
      const drainSeconds = (Date.now() - started) / 1000

      // The envelope carries the GHL body in `data`: its entity and the order it was sent in. Per
      // entity, the first arrival of each event must follow the send (= receive) order.
      const firstSeen = new Set<string>()
      const byEntity = new Map<string, number[]>()
      for (const r of sink.requests) {
        const envelope = JSON.parse(r.body.toString())
        if (firstSeen.has(envelope.webhookId)) continue
        firstSeen.add(envelope.webhookId)
        byEntity.set(envelope.data.id, [...(byEntity.get(envelope.data.id) ?? []), envelope.data.order])
      }
      const raw = sink.requests.length
      const lost = [...acked.keys()].filter((id) => !firstSeen.has(id))
      expect(lost, `acked but never delivered: ${lost.length}`).toEqual([])
      expect(firstSeen.size).toBe(EVENTS)
      for (const [entity, orders] of byEntity)
        expect(orders, entity).toEqual([...orders].sort((a, b) => a - b))

      // Nothing left open or leased in the database.
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      const { rows } = await client.query<{ state: string; n: number }>(
        'SELECT state, count(*)::int AS n FROM deliveries GROUP BY state ORDER BY state',
      )
      const { rows: events } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM events')
      await client.end()
      expect(rows).toEqual([{ state: 'succeeded', n: EVENTS }])
      expect(events[0]!.n).toBe(EVENTS)

      console.info(
        `[scale-out] ${EVENTS} events over 3 processes (1 SIGKILLed at ${Math.round(EVENTS / 3)} acks): ` +
          `ingest ${(EVENTS / ingestSeconds).toFixed(0)}/s, all delivered after ${drainSeconds.toFixed(1)} s; ` +
          `raw deliveries ${raw} (re-deliveries after the kill: ${raw - EVENTS}), lost 0, out of order 0`,
      )
    } finally {
      await Promise.all(gateways.map((g) => g.kill('SIGKILL')))
      await sink.close()
      await database.drop()
    }
  }, 240_000)
})
