import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../support/databases.js'
import {
  type GatewayProcess,
  httpRequest,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from '../support/gateway-process.js'
import { envLines, runCli, tempDir } from './run-cli.js'

/**
 * `simulate` against the real gateway (the README's developer loop) and against a tiny local
 * webhook endpoint that fails on purpose, to check GHL's two retry policies as modelled.
 */

interface Report {
  events: number
  duplicatesSent: number
  attempts: number
  acknowledged: number
  notAcknowledged: number
  answered: Record<string, number>
  retried: { deliveries: number; attempts: number }
  dropped: { total: number; notRetried: number; retriesExhausted: number }
  unfinished: number
  byStatus: Record<string, number>
  latencyMs: { p50: number; p90: number; p99: number; max: number }
  ended: string
}

const ADMIN_TOKEN = 'cli-simulate-admin-token-0123456789'

describe('the README developer loop: keys generate, serve with keys env, send, simulate', () => {
  const cwd = tempDir()
  const database = freshSqliteFile()
  let gateway: GatewayProcess
  let env: Record<string, string>

  beforeAll(async () => {
    expect((await runCli(['keys', 'generate'], { cwd: cwd.path })).code).toBe(0)
    const keys = envLines((await runCli(['keys', 'env'], { cwd: cwd.path })).stdout)
    gateway = await startGatewayProcess({ databaseUrl: database.url, env: { ...keys, ADMIN_TOKEN } })
    env = { PORT: String(gateway.port) }
  })
  afterAll(async () => {
    await gateway?.stop()
    await stopAllGatewayProcesses()
    database.remove()
    cwd.remove()
  })

  it('send ContactCreate is accepted', async () => {
    const result = await runCli(['send', 'ContactCreate'], { cwd: cwd.path, env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^200 {2}accepted {2}evt_/)
  })

  it('simulate --events 300 --rate 200 --duplicates 10: 300 acknowledged, 30 answered duplicate, exit 0', async () => {
    const started = Date.now()
    const result = await runCli(
      [
        'simulate',
        '--events',
        '300',
        '--rate',
        '200',
        '--duplicates',
        '10',
        '--policy',
        'ghl-2026',
        '--json',
      ],
      { cwd: cwd.path, env },
    )
    expect(result.code, result.stderr + result.stdout).toBe(0)
    const report = JSON.parse(result.stdout) as Report
    expect(report).toMatchObject({
      events: 300,
      duplicatesSent: 30,
      attempts: 330,
      acknowledged: 300,
      notAcknowledged: 0,
      answered: { accepted: 300, duplicate: 30 },
      retried: { deliveries: 0, attempts: 0 },
      dropped: { total: 0 },
      unfinished: 0,
      byStatus: { '200': 330 },
      ended: 'completed',
    })
    expect(report.latencyMs.p50).toBeGreaterThan(0)
    expect(report.latencyMs.max).toBeGreaterThanOrEqual(report.latencyMs.p99)
    // Open loop at 200/s: 330 deliveries take about 1.65 s.
    expect(Date.now() - started).toBeLessThan(10_000)

    // The gateway stored 301 events (300 + the one `send`), each webhookId once.
    const counted = await httpRequest(`${gateway.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(counted.text).toMatch(/ghl_gateway_webhooks_total\{source="ghl",outcome="accepted"\} 301\b/)
    expect(counted.text).toMatch(/ghl_gateway_webhooks_total\{source="ghl",outcome="duplicate"\} 30\b/)
  })

  it('the human report has the numbers and the latency percentiles', async () => {
    const result = await runCli(['simulate', '--events', '20', '--rate', '100'], { cwd: cwd.path, env })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^acknowledged +20 of 20 events \(100 %\)$/m)
    expect(result.stdout).toMatch(/^latency ms +p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}max [\d.]+$/m)
    expect(result.stdout).not.toContain('\x1b[') // not a terminal: no colours
  })
})

/**
 * A webhook endpoint that fails the FIRST attempt of half the webhookIds it sees: the 1st, 5th,
 * 9th… new id with 500, the 3rd, 7th, 11th… with 429; every other attempt gets 200. Deterministic,
 * so each policy's counts are exact.
 */
async function flakyEndpoint() {
  const seen = new Map<string, { attempts: number; hash: string }>()
  let sameBytes = true
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', () => {
      const raw = Buffer.concat(chunks)
      const parsed = JSON.parse(raw.toString()) as { webhookId: string } | { webhookId: string }[]
      const id = Array.isArray(parsed) ? parsed[0]!.webhookId : parsed.webhookId
      const hash = createHash('sha256').update(raw).digest('hex')
      const entry = seen.get(id)
      if (entry) {
        entry.attempts++
        if (entry.hash !== hash) sameBytes = false
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
        return
      }
      const n = seen.size
      seen.set(id, { attempts: 1, hash })
      const status = n % 4 === 0 ? 500 : n % 4 === 2 ? 429 : 200
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    seen,
    sameBytes: () => sameBytes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('simulate applies GHL’s retry policies to any endpoint', () => {
  const cwd = tempDir()
  afterAll(() => cwd.remove())
  const simulate = (url: string, ...args: string[]) =>
    runCli(
      [
        'simulate',
        '--to',
        url,
        '--sign',
        'none',
        '--events',
        '100',
        '--rate',
        '1000',
        '--time-scale',
        '36000',
        '--json',
        ...args,
      ],
      { cwd: cwd.path, timeoutMs: 15_000 },
    )

  it('ghl-2026 retries every non-2xx until acknowledged', async () => {
    const endpoint = await flakyEndpoint()
    try {
      const result = await simulate(endpoint.url, '--policy', 'ghl-2026')
      expect(result.code, result.stderr).toBe(0)
      const report = JSON.parse(result.stdout) as Report
      expect(report).toMatchObject({
        events: 100,
        acknowledged: 100,
        attempts: 150,
        retried: { deliveries: 50, attempts: 50 },
        dropped: { total: 0 },
        byStatus: { '200': 100, '429': 25, '500': 25 },
        ended: 'completed',
      })
      expect(endpoint.seen.size).toBe(100)
      expect(endpoint.sameBytes()).toBe(true) // a retry re-sends the same bytes
    } finally {
      await endpoint.close()
    }
  })

  it('ghl-2025 retries only 429 and drops the 500s, exiting 1', async () => {
    const endpoint = await flakyEndpoint()
    try {
      const result = await simulate(endpoint.url, '--policy', 'ghl-2025')
      expect(result.code).toBe(1)
      const report = JSON.parse(result.stdout) as Report
      expect(report).toMatchObject({
        events: 100,
        acknowledged: 75,
        notAcknowledged: 25,
        attempts: 125,
        retried: { deliveries: 25, attempts: 25 },
        dropped: { total: 25, notRetried: 25, retriesExhausted: 0 },
        byStatus: { '200': 75, '429': 25, '500': 25 },
        ended: 'completed',
      })
    } finally {
      await endpoint.close()
    }
  })

  it('none drops every failure', async () => {
    const endpoint = await flakyEndpoint()
    try {
      const report = JSON.parse((await simulate(endpoint.url, '--policy', 'none')).stdout) as Report
      expect(report).toMatchObject({
        acknowledged: 50,
        attempts: 100,
        dropped: { total: 50, notRetried: 50 },
      })
    } finally {
      await endpoint.close()
    }
  })

  it('is bounded: no answer counts as no answer, and the hard deadline ends the run', async () => {
    const sockets = new Set<import('node:net').Socket>()
    const silent = http.createServer(() => {}) // never answers
    silent.on('connection', (socket) => sockets.add(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`
    try {
      const started = Date.now()
      const result = await runCli(
        [
          'simulate',
          '--to',
          url,
          '--sign',
          'none',
          '--events',
          '5',
          '--rate',
          '100',
          '--timeout',
          '300ms',
          '--policy',
          'ghl-2026',
          '--time-scale',
          '1',
          '--deadline',
          '1500ms',
          '--json',
        ],
        { cwd: cwd.path, timeoutMs: 10_000 },
      )
      expect(result.code).toBe(1)
      const report = JSON.parse(result.stdout) as Report
      expect(report).toMatchObject({ events: 5, acknowledged: 0, ended: 'deadline', unfinished: 5 })
      expect(report.byStatus['no answer']).toBe(5) // the first attempts timed out; retries wait 10 s+
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })
})
