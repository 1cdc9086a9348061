import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../src/index.js'
import { freshSqliteFile } from './support/databases.js'
import { ed25519Signature, testEd25519Key } from './support/test-app.js'
import { until } from './support/until.js'

/** The README's library-mode example, run as written (with stand-ins for `crm`, `pipeline`, `audit`). */

const key = testEd25519Key()
const file = freshSqliteFile()
const calls: string[] = []
const crm = { upsert: async (id: unknown, email: unknown) => void calls.push(`crm ${id} ${email}`) }
const pipeline = {
  move: async (id: unknown, stage: unknown, options: { idempotencyKey: string }) =>
    void calls.push(`move ${id} ${stage} ${options.idempotencyKey.startsWith('evt_')}`),
}
const audit = { write: async (event: { type: string }) => void calls.push(`audit ${event.type}`) }

describe('README: library mode', () => {
  let gw: Gateway
  afterEach(async () => {
    await gw?.close()
  })
  afterAll(() => file.remove())

  it('runs the typed handlers for signed webhooks', async () => {
    gw = createGateway({
      database: file.url,
      env: { GHL_ED25519_PUBLIC_KEYS: key.spki, LOG_LEVEL: 'silent' },
    })

    gw.on('ContactCreate', async (event) => {
      await crm.upsert(event.data.id, event.data.email)
    })
    gw.on(
      'opportunity.stage_changed',
      async (event, ctx) => {
        await pipeline.move(event.data.id, event.data.pipelineStageId, { idempotencyKey: ctx.idempotencyKey })
      },
      { ordered: 'entity' },
    )
    gw.onAny(async (event) => audit.write(event))

    const { url } = await gw.listen({ port: 0, host: '127.0.0.1' })
    for (const body of [
      {
        type: 'ContactCreate',
        id: 'c1',
        email: 'jane@example.com',
        locationId: 'L1',
        webhookId: crypto.randomUUID(),
      },
      {
        type: 'OpportunityStageUpdate',
        id: 'o1',
        pipelineStageId: 'stage_2',
        locationId: 'L1',
        webhookId: crypto.randomUUID(),
      },
    ]) {
      const payload = JSON.stringify(body)
      const response = await fetch(`${url}/webhooks/ghl`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': ed25519Signature(key.privateKey, payload),
        },
        body: payload,
      })
      expect(response.status).toBe(200)
    }
    // No throw on timeout: the assertion below shows which calls were made.
    await until(() => calls.length >= 4, 'four calls', 10_000).catch(() => {})
    expect(calls.sort()).toEqual([
      'audit contact.created',
      'audit opportunity.stage_changed',
      'crm c1 jane@example.com',
      'move o1 stage_2 true',
    ])
  })
})
