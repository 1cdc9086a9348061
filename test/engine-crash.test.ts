import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgresDatabase, freshSqliteFile } from './support/databases.js'
import {
  createTestKeyPair,
  type GatewayProcess,
  postWebhook,
  signedWebhook,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from './support/gateway-process.js'
import type { StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * Library mode in a real process, killed with SIGKILL: an acked event's deliveries survive the
 * crash (they were committed with the event), leases of a dead worker expire and the work runs
 * elsewhere, never twice at the same time, and per-entity order survives the crash too.
 */

const ENTRY = fileURLToPath(new URL('./support/handler-gateway.mjs', import.meta.url))
const keys = createTestKeyPair()

interface Report {
  kind: 'start' | 'end'
  pid: number
  webhookId: string
  entity: string
  label: string | null
  deliveryId: string
  attempt: number
  at: number
}

let sink: Server
let sinkUrl: string
const reports: Report[] = []

beforeAll(async () => {
  sink = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      reports.push(JSON.parse(body))
      response.end('ok')
    })
  })
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`
})
afterAll(async () => {
  await stopAllGatewayProcesses()
  await new Promise((resolve) => sink.close(resolve))
})
afterEach(() => {
  reports.length = 0
})

/** No delivery ran in two processes at once: each run's [start, end] must not overlap another's. */
function assertNoConcurrentRuns() {
  const runs = new Map<string, { pid: number; start: number; end: number }[]>()
  const open = new Map<string, Report>()
  for (const r of reports) {
    const key = `${r.deliveryId}:${r.pid}:${r.attempt}`
    if (r.kind === 'start') open.set(key, r)
    else {
      const start = open.get(key)!
      open.delete(key)
      runs.set(r.deliveryId, [...(runs.get(r.deliveryId) ?? []), { pid: r.pid, start: start.at, end: r.at }])
    }
  }
  // A run killed mid-way has a start and no end: it lasted until its process died.
  for (const [id, list] of runs) {
    const sorted = list.sort((a, b) => a.start - b.start)
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]!.start, id).toBeGreaterThanOrEqual(sorted[i - 1]!.end)
  }
}

describe.each<StoreKind>(['sqlite', 'postgres'])('engine crashes on %s', (kind) => {
  const database = async () => {
    if (kind === 'sqlite') {
      const file = freshSqliteFile()
      return { url: file.url, cleanup: async () => file.remove() }
    }
    const db = await freshPostgresDatabase()
    return { url: db.url, cleanup: db.drop }
  }
  const start = (url: string, env: Record<string, string>) =>
    startGatewayProcess({
      databaseUrl: url,
      keyPair: keys,
      entry: ENTRY,
      env: { SINK_URL: sinkUrl, WORKER_LEASE_GRACE: '300ms', HANDLER_TIMEOUT: '1500', ...env },
    })

  it('a crash between the ack and the handler loses nothing; the dead worker’s leases expire', async () => {
    const db = await database()
    let gateway: GatewayProcess | undefined
    try {
      // The first process takes the work and never finishes it (its handler sleeps past the kill).
      gateway = await start(db.url, { HANDLER_DELAY_MS: '60000' })
      const acked: string[] = []
      for (let i = 0; i < 20; i++) {
        const webhook = signedWebhook(keys.privateKey, {
          type: 'ContactCreate',
          id: `c${i}`,
          locationId: 'loc',
          webhookId: crypto.randomUUID(),
        })
        const answer = await postWebhook(gateway.url, webhook)
        expect(answer.status).toBe(200)
        acked.push(JSON.parse(webhook.body.toString()).webhookId)
      }
      await until(
        () => reports.filter((r) => r.kind === 'start').length >= 16,
        'the first runs to start',
        10_000,
      )
      await gateway.kill('SIGKILL')
      expect(reports.filter((r) => r.kind === 'end')).toEqual([])

      gateway = await start(db.url, { HANDLER_DELAY_MS: '0' })
      await until(
        () => new Set(reports.filter((r) => r.kind === 'end').map((r) => r.webhookId)).size === acked.length,
        'every acked event to be handled after the restart',
        15_000,
      )
      const ends = reports.filter((r) => r.kind === 'end')
      expect(new Set(ends.map((r) => r.webhookId))).toEqual(new Set(acked))
      // Each handled exactly once to completion (the killed runs never completed).
      expect(ends).toHaveLength(acked.length)
      assertNoConcurrentRuns()
      expect(await gateway.stop()).toEqual({ code: 0, signal: null })
    } finally {
      await gateway?.kill('SIGKILL')
      await db.cleanup()
    }
  }, 45_000)

  it('SIGTERM lets running handlers finish, records them, and exits 0', async () => {
    const db = await database()
    let gateway: GatewayProcess | undefined
    try {
      gateway = await start(db.url, { HANDLER_DELAY_MS: '700' })
      for (let i = 0; i < 3; i++) {
        await postWebhook(
          gateway.url,
          signedWebhook(keys.privateKey, {
            type: 'ContactCreate',
            id: `s${i}`,
            webhookId: crypto.randomUUID(),
          }),
        )
      }
      await until(() => reports.filter((r) => r.kind === 'start').length === 3, 'three runs', 10_000)
      expect(await gateway.stop()).toEqual({ code: 0, signal: null })
      expect(reports.filter((r) => r.kind === 'end')).toHaveLength(3)
      // Recorded as succeeded: a restart runs nothing again.
      gateway = await start(db.url, { HANDLER_DELAY_MS: '0' })
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(reports.filter((r) => r.kind === 'start')).toHaveLength(3)
    } finally {
      await gateway?.kill('SIGKILL')
      await db.cleanup()
    }
  }, 30_000)

  it('per-entity order holds across a crash: no event of an entity runs before an older one', async () => {
    const db = await database()
    let gateway: GatewayProcess | undefined
    try {
      gateway = await start(db.url, { HANDLER_DELAY_MS: '40', HANDLER_ORDERED: '1', HANDLER_FAIL_FIRST: '1' })
      const sent: Record<string, string[]> = {}
      for (let i = 0; i < 30; i++) {
        const entity = `e${i % 3}`
        const label = `${entity}-${i}`
        sent[entity] = [...(sent[entity] ?? []), label]
        const answer = await postWebhook(
          gateway.url,
          signedWebhook(keys.privateKey, {
            type: 'ContactUpdate',
            id: entity,
            label,
            webhookId: crypto.randomUUID(),
          }),
        )
        expect(answer.status).toBe(200)
      }
      await until(() => reports.filter((r) => r.kind === 'end').length >= 5, 'some progress', 10_000)
      await gateway.kill('SIGKILL')
      gateway = await start(db.url, { HANDLER_DELAY_MS: '5', HANDLER_ORDERED: '1', HANDLER_FAIL_FIRST: '1' })
      await until(
        () => new Set(reports.filter((r) => r.kind === 'end').map((r) => r.label)).size === 30,
        'all 30',
        30_000,
      )
      // The first completion of each event, per entity, follows the order they were received in.
      for (const [entity, labels] of Object.entries(sent)) {
        const completed = reports.filter((r) => r.kind === 'end' && r.entity === entity).map((r) => r.label)
        const firstCompletions = completed.filter((label, i) => completed.indexOf(label) === i)
        expect(firstCompletions, entity).toEqual(labels)
      }
      assertNoConcurrentRuns()
    } finally {
      await gateway?.kill('SIGKILL')
      await db.cleanup()
    }
  }, 60_000)
})
