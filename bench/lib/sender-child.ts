/**
 * The open-loop sender (lib/open-loop.ts) as a process of its own, so that its CPU is counted apart
 * from the gateway's and the sink's and its event loop is not shared with them
 * (bench/delivery-latency.ts). Forked by lib/load-children.ts with `serialization: 'advanced'`
 * (typed arrays cross the IPC channel as they are). Messages, answered in kind:
 *   {type:'clock', id} → {type:'clock', id, at}     this process's clock (lib/ipc.ts clockOffset)
 *   {type:'load'}      → {type:'load', count}       read the signed requests (before the clock starts)
 *   {type:'run', from, count}
 *                      → {type:'run', result}       the open loop over requests from … from + count − 1;
 *                                                   the result without its per-request arrays
 *   {type:'dump'}      → {type:'dump', records}     the last run's per-request arrays and event ids
 * Env: BENCH_URL, BENCH_RATE, BENCH_COUNT (requests to read), BENCH_SOCKETS, BENCH_REQUESTS_FILE.
 */
import { type OpenLoopResult, openLoopAgent, runOpenLoop } from './open-loop.js'
import { readSignedRequests, type SignedRequest } from './requests-file.js'

const env = (name: string) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}
const url = env('BENCH_URL')
const rate = Number(env('BENCH_RATE'))
const count = Number(env('BENCH_COUNT'))
const agent = openLoopAgent(Number(env('BENCH_SOCKETS')))

let requests: SignedRequest[] = []
let result: OpenLoopResult | undefined
/** Index of the last run's first request. */
let from = 0

/**
 * The id the destination request will carry in `webhook-id`: the gateway's event id from its 200
 * (`{"eventId": …}`), or — for the floor, which answers without one — the body's GHL webhookId.
 */
function eventKey(i: number): string | null {
  const r = result!
  if (r.status[i]! < 200 || r.status[i]! >= 300) return null
  try {
    const { eventId } = JSON.parse(r.bodies[i]!) as { eventId?: string }
    if (eventId) return eventId
  } catch {
    // not JSON: fall back to the body's id
  }
  return (JSON.parse(requests[from + i]!.body.toString('utf8')) as { webhookId: string }).webhookId
}

type Message = { type?: string; id?: number; from?: number; count?: number }
process.on('message', (message: Message) => {
  const send = (m: object) => process.send?.(m)
  switch (message?.type) {
    case 'clock':
      send({ type: 'clock', id: message.id, at: performance.timeOrigin + performance.now() })
      return
    case 'load':
      void readSignedRequests(env('BENCH_REQUESTS_FILE'), 0, count).then((r) => {
        requests = r
        send({ type: 'load', count: r.length })
      })
      return
    case 'run': {
      const first = message.from ?? 0
      from = first
      void runOpenLoop({
        url,
        rate,
        count: Math.min(message.count ?? count, count - first),
        agent,
        keepBodies: true,
        request: (i) => ({
          body: requests[first + i]!.body,
          headers: { 'content-type': 'application/json', 'x-ghl-signature': requests[first + i]!.ed25519 },
        }),
      }).then((r) => {
        result = r
        const { scheduledAt: _a, sentAt: _b, answeredAt: _c, status: _d, bodies: _e, ...summary } = r
        send({ type: 'run', result: summary })
      })
      return
    }
    case 'dump': {
      const r = result!
      const keys = Array.from({ length: r.count }, (_, i) => eventKey(i))
      send({
        type: 'dump',
        records: {
          scheduledAt: r.scheduledAt,
          sentAt: r.sentAt,
          answeredAt: r.answeredAt,
          status: r.status,
          keys,
        },
      })
      return
    }
  }
})
const shutdown = () => {
  agent.destroy()
  process.exit(0)
}
process.on('SIGTERM', shutdown)
process.on('disconnect', shutdown) // the benchmark crashed or is done: do not linger
