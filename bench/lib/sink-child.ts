/**
 * The timing sink (lib/timing-sink.ts) as a process of its own, so that its CPU is counted apart
 * from the bench and the sender (bench/delivery-latency.ts). Started with an IPC channel by
 * lib/load-children.ts; speaks the protocol of lib/ipc.ts:
 *   {type:'clock', id} → {type:'clock', id, at}          this process's clock
 *   {type:'count'}     → {type:'count', count}           distinct ids seen so far
 *   {type:'dump'}      → {type:'dump', count, starts, received, duplicates}
 *                         starts = [id, first arrival, id, first arrival, …] (epoch ms)
 * Env: PORT (required).
 */
import { startTimingSink } from './timing-sink.js'

const sink = await startTimingSink({ port: Number(process.env.PORT) })

process.on('message', (message: { type?: string; id?: number }) => {
  const send = (m: object) => process.send?.(m)
  if (message?.type === 'clock') {
    send({ type: 'clock', id: message.id, at: performance.timeOrigin + performance.now() })
  } else if (message?.type === 'count') {
    send({ type: 'count', count: sink.times.size })
  } else if (message?.type === 'dump') {
    send({
      type: 'dump',
      count: sink.times.size,
      starts: [...sink.times].flat(),
      received: sink.received(),
      duplicates: sink.duplicates(),
    })
  }
})
const shutdown = () => void sink.close().then(() => process.exit(0))
process.on('SIGTERM', shutdown)
process.on('disconnect', shutdown) // the benchmark crashed: do not linger
