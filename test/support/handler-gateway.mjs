// A library-mode gateway for crash tests: the built package with one handler that reports each
// run to an HTTP sink in the test process (start, then end), so the test sees every execution.
// Env: SINK_URL, HANDLER_DELAY_MS (default 0), HANDLER_ORDERED=1, HANDLER_TIMEOUT (default 2000),
// HANDLER_FAIL_FIRST=1 (first attempt of each delivery fails) plus the gateway's own variables.
import { createGateway } from '../../dist/index.js'

const sink = process.env.SINK_URL
const delay = Number(process.env.HANDLER_DELAY_MS ?? 0)
const report = (kind, event, ctx) =>
  fetch(sink, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      kind,
      pid: process.pid,
      webhookId: event.webhookId,
      entity: event.entity.id,
      label: event.data?.label ?? null,
      deliveryId: ctx.deliveryId,
      attempt: ctx.attempt,
      at: Date.now(),
    }),
  })

const gateway = createGateway()
gateway.onAny(
  async (event, ctx) => {
    await report('start', event, ctx)
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay))
    if (process.env.HANDLER_FAIL_FIRST === '1' && ctx.attempt === 1) throw new Error('first attempt fails')
    await report('end', event, ctx)
  },
  {
    id: 'sink',
    ordered: process.env.HANDLER_ORDERED === '1' ? 'entity' : undefined,
    timeout: Number(process.env.HANDLER_TIMEOUT ?? 2000),
    concurrency: 16,
    retry: { minDelay: 100, maxDelay: 500, maxAttempts: 50 },
  },
)
await gateway.listen()
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => gateway.close().then(() => process.exit(0)))
