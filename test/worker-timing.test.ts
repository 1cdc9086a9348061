import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../src/index.js'
import { freshSqliteFile } from './support/databases.js'
import { ed25519Signature, testEd25519Key } from './support/test-app.js'
import { until } from './support/until.js'

/** With the real clock: a retry due in 20 ms runs then, not at the next 1 s poll. */
describe('worker wake-ups', () => {
  const key = testEd25519Key()
  const file = freshSqliteFile()
  let gw: Gateway
  afterEach(async () => {
    await gw?.close()
  })
  afterAll(() => file.remove())

  it('runs a scheduled retry when it is due', async () => {
    const attempts: number[] = []
    gw = createGateway({
      database: file.url,
      env: { GHL_ED25519_PUBLIC_KEYS: key.spki, LOG_LEVEL: 'silent', WORKER_POLL_INTERVAL: '5s' },
    })
    gw.on(
      'ContactCreate',
      async (_event, ctx) => {
        attempts.push(performance.now())
        if (ctx.attempt < 3) throw new Error('not yet')
      },
      { retry: { minDelay: 20, maxDelay: 20 } },
    )
    const { url } = await gw.listen({ port: 0, host: '127.0.0.1' })
    const payload = JSON.stringify({ type: 'ContactCreate', id: 'c1', webhookId: crypto.randomUUID() })
    await fetch(`${url}/webhooks/ghl`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, payload),
      },
      body: payload,
    })
    // No throw on timeout: the assertion below shows how many attempts ran.
    await until(() => attempts.length >= 3, 'three attempts', 10_000).catch(() => {})
    expect(attempts).toHaveLength(3)
    // 20 ms backoff each time; well under the 5 s poll even on a busy machine.
    expect(attempts[2]! - attempts[0]!).toBeLessThan(1500)
  })
})
