// ghl-gateway in library mode, for the end-to-end, backlog and scale-out benchmarks: the built
// package (dist/) with one handler that does nothing but note that it started.
//
// Env: the gateway's own settings (DATABASE_URL, HOST, PORT, ROLE, GHL_ED25519_PUBLIC_KEYS, LOG_LEVEL…)
// plus
//   BENCH_HANDLER_ID            subscriber id of the handler (default "bench"): deliveries planned
//                               by another process for this id run here
//   BENCH_HANDLER_CONCURRENCY   the handler's concurrency (default 32 = WORKER_CONCURRENCY's default)
//   BENCH_RECORD=1              keep (eventId, start time) of every run; otherwise only count them
//
// IPC (when started with an IPC channel):
//   { type: 'clock', id }  → { type: 'clock', id, at }      this process's clock, for offset estimates
//   { type: 'count' }      → { type: 'count', count }        handler runs so far
//   { type: 'dump' }       → { type: 'dump', count, starts } starts = [eventId, at, eventId, at, …]
// Times are performance.timeOrigin + performance.now(): epoch ms with sub-ms resolution.
import { createGateway } from '../../dist/index.js'

const record = process.env.BENCH_RECORD === '1'
const starts = []
let count = 0

const gateway = createGateway()
gateway.onAny(
  (_event, ctx) => {
    count++
    if (record) starts.push(ctx.eventId, performance.timeOrigin + performance.now())
  },
  {
    id: process.env.BENCH_HANDLER_ID ?? 'bench',
    concurrency: Number(process.env.BENCH_HANDLER_CONCURRENCY ?? 32),
  },
)
await gateway.listen()

process.on('message', (message) => {
  if (message?.type === 'clock') {
    process.send({ type: 'clock', id: message.id, at: performance.timeOrigin + performance.now() })
  } else if (message?.type === 'count') {
    process.send({ type: 'count', count })
  } else if (message?.type === 'dump') {
    process.send({ type: 'dump', count, starts })
  }
})
let closing = false
const shutdown = () => {
  if (closing) process.exit(1)
  closing = true
  gateway.close().then(() => process.exit(0))
}
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, shutdown)
// The benchmark went away without stopping us (it crashed): do not linger.
process.on('disconnect', shutdown)
