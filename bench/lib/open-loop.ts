import { Agent, request } from 'node:http'
import { type Percentiles, percentiles } from './stats.js'

/**
 * An open-loop HTTP load generator: request i is sent at `start + i / rate`, whether or not earlier
 * requests have been answered. Latency is measured from that *scheduled* time, so when the server
 * stalls, the requests that should have gone out meanwhile show the wait (no coordinated omission,
 * unlike a closed loop such as wrk where a stalled server also stops the clock of the requests not
 * yet sent). How far the sender itself fell behind its schedule is reported separately (`lagMs`):
 * a late sender inflates latency too, and this machine has only two cores.
 *
 * node:http with one keep-alive agent. If every socket is busy, requests wait in the agent's queue
 * (counted as latency, as they should be). Times are `performance.timeOrigin + performance.now()`
 * (ms since the epoch, sub-millisecond), comparable with the same clock in other processes on this
 * machine.
 */

export interface OpenLoopRequest {
  body: Buffer
  headers: Record<string, string>
}

export interface OpenLoopOptions {
  /** Full URL the requests are POSTed to. */
  url: string
  /** Requests per second. */
  rate: number
  /** How many requests (the run lasts count / rate seconds). */
  count: number
  /** The i-th request (0-based); called at its send time, so keep it cheap (pre-build them). */
  request(i: number): OpenLoopRequest
  agent: Agent
  /** Per request: the whole exchange must end within this. @default 10000 */
  timeoutMs?: number
  /** Keep the response bodies of 2xx answers (e.g. the gateway's eventId). @default false */
  keepBodies?: boolean
}

export interface OpenLoopResult {
  rate: number
  count: number
  /** Requests that got any HTTP answer. */
  completed: number
  ok: number
  /** HTTP answers outside 2xx, by status. */
  statuses: Record<string, number>
  /** Transport failures (refused, reset) and timeouts. */
  errors: number
  timeouts: number
  /** Seconds from the first scheduled send to the last answer. */
  durationSec: number
  /** Scheduled send → answer (the number to quote). */
  latencyMs: Percentiles
  /** Actual send → answer (what the server alone took, plus waiting for a free socket). */
  serviceMs: Percentiles
  /** Actual send − scheduled send: how far the sender fell behind its own schedule. */
  lagMs: Percentiles
  /** Most requests in flight at once. */
  maxInFlight: number
  /** CPU the sending process used during the run, in cores (user + system, all its threads). */
  senderCores: number
  /** Epoch ms (same clock as other processes): when each request was scheduled, sent and answered. */
  scheduledAt: Float64Array
  sentAt: Float64Array
  /** NaN when no answer came. */
  answeredAt: Float64Array
  status: Uint16Array
  /** Bodies of 2xx answers when `keepBodies` is set (else empty strings). */
  bodies: string[]
}

/** A keep-alive agent for `runOpenLoop`; reuse it for the warm-up and the measured run. */
export function openLoopAgent(maxSockets = 256): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'fifo' })
}

const epochNow = () => performance.timeOrigin + performance.now()

export function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const timeoutMs = o.timeoutMs ?? 10_000
  const n = o.count
  const interval = 1000 / o.rate
  const scheduledAt = new Float64Array(n)
  const sentAt = new Float64Array(n).fill(Number.NaN)
  const answeredAt = new Float64Array(n).fill(Number.NaN)
  const status = new Uint16Array(n)
  const bodies: string[] = o.keepBodies ? new Array(n).fill('') : []
  const url = new URL(o.url)
  let errors = 0
  let timeouts = 0
  let finished = 0
  let inFlight = 0
  let maxInFlight = 0
  const cpuBefore = process.cpuUsage()

  // Start a little in the future so the first requests are not late by construction.
  const start = epochNow() + 20
  for (let i = 0; i < n; i++) scheduledAt[i] = start + i * interval

  return new Promise((resolve) => {
    let next = 0
    let timer: NodeJS.Timeout | undefined

    const done = () => {
      const cpu = process.cpuUsage(cpuBefore)
      let last = start
      const latency: number[] = []
      const service: number[] = []
      const lag: number[] = []
      let ok = 0
      const statuses: Record<string, number> = {}
      for (let i = 0; i < n; i++) {
        if (!Number.isNaN(sentAt[i]!)) lag.push(sentAt[i]! - scheduledAt[i]!)
        if (Number.isNaN(answeredAt[i]!)) continue
        last = Math.max(last, answeredAt[i]!)
        latency.push(answeredAt[i]! - scheduledAt[i]!)
        service.push(answeredAt[i]! - sentAt[i]!)
        if (status[i]! >= 200 && status[i]! < 300) ok++
        else statuses[status[i]!] = (statuses[status[i]!] ?? 0) + 1
      }
      const durationSec = (last - start) / 1000
      resolve({
        rate: o.rate,
        count: n,
        completed: latency.length,
        ok,
        statuses,
        errors,
        timeouts,
        durationSec,
        latencyMs: percentiles(latency),
        serviceMs: percentiles(service),
        lagMs: percentiles(lag),
        maxInFlight,
        senderCores: (cpu.user + cpu.system) / 1e6 / Math.max(durationSec, 1e-3),
        scheduledAt,
        sentAt,
        answeredAt,
        status,
        bodies,
      })
    }

    const settle = () => {
      inFlight--
      finished++
      if (finished === n) done()
    }

    const send = (i: number) => {
      const { body, headers } = o.request(i)
      sentAt[i] = epochNow()
      inFlight++
      if (inFlight > maxInFlight) maxInFlight = inFlight
      let settled = false
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        agent: o.agent,
        headers: { ...headers, 'content-length': String(body.length) },
      })
      const deadline = setTimeout(() => {
        if (settled) return
        settled = true
        timeouts++
        req.destroy()
        settle()
      }, timeoutMs)
      req.on('response', (res) => {
        // The ack: the status line and headers have arrived.
        const at = epochNow()
        const chunks: Buffer[] = []
        if (o.keepBodies) res.on('data', (c: Buffer) => chunks.push(c))
        else res.resume()
        res.on('end', () => {
          if (settled) return
          settled = true
          clearTimeout(deadline)
          answeredAt[i] = at
          status[i] = res.statusCode ?? 0
          if (o.keepBodies && status[i]! < 300) bodies[i] = Buffer.concat(chunks).toString('utf8')
          settle()
        })
      })
      req.on('error', () => {
        if (settled) return
        settled = true
        clearTimeout(deadline)
        errors++
        settle()
      })
      req.end(body)
    }

    const pump = () => {
      const now = epochNow()
      while (next < n && scheduledAt[next]! <= now) send(next++)
      if (next < n) timer = setTimeout(pump, Math.max(0, scheduledAt[next]! - epochNow()))
      else timer = undefined
    }
    if (n === 0) done()
    else timer = setTimeout(pump, Math.max(0, start - epochNow()))
    void timer
  })
}

/** One line: rate, answers, latency percentiles and the sender's lag. */
export function describeOpenLoop(r: OpenLoopResult): string {
  const bad = r.count - r.ok
  const l = r.latencyMs
  return (
    `${r.ok}/${r.count} 2xx${bad ? ` (${JSON.stringify(r.statuses)}, ${r.errors} errors, ${r.timeouts} timeouts)` : ''} ` +
    `at ${(r.completed / r.durationSec).toFixed(0)}/s; latency ms p50 ${l.p50.toFixed(2)} p90 ${l.p90.toFixed(2)} ` +
    `p99 ${l.p99.toFixed(2)} max ${l.max.toFixed(1)}; sender lag p99 ${r.lagMs.p99.toFixed(2)} max ${r.lagMs.max.toFixed(1)} ms, ` +
    `${r.senderCores.toFixed(2)} cores, ≤${r.maxInFlight} in flight`
  )
}
