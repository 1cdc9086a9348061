// A library-mode gateway for the replay and dead-letter CLI tests: the built package with one
// handler, `sink`, that fails (SinkDownError) while the file FAIL_FILE exists and succeeds once it
// is gone. Two quick attempts, so a failing delivery is dead within milliseconds. Each run logs
// `sink ran` with what the handler was told (ctxAttempt, ctxCycle) at level info.
// Env: FAIL_FILE, plus the gateway's own variables (DATABASE_URL, PORT, ADMIN_TOKEN, keys,
// GATEWAY_CONFIG for destinations…).
import { existsSync } from 'node:fs'
import { createGateway } from '../../dist/index.js'

class SinkDownError extends Error {
  name = 'SinkDownError'
}

const failFile = process.env.FAIL_FILE
const gateway = createGateway()
gateway.onAny(
  async (_event, ctx) => {
    ctx.logger.info({ ctxAttempt: ctx.attempt, ctxCycle: ctx.cycle }, 'sink ran')
    if (failFile && existsSync(failFile)) throw new SinkDownError('the sink is down')
  },
  { id: 'sink', timeout: 2000, retry: { minDelay: 10, maxDelay: 20, maxAttempts: 2 } },
)
await gateway.listen()
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => gateway.close().then(() => process.exit(0)))
