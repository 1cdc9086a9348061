import { afterEach, describe, expect, it } from 'vitest'
import { createDlqJobRunner } from '../src/deliver/dlq-job-runner.js'
import { PermanentError } from '../src/deliver/errors.js'
import { createEngine, type Engine } from './support/engine.js'
import type { StoreKind } from './support/test-app.js'

/**
 * The dead-letter queue in bulk over the admin API, on both stores: count first, a job that
 * replays or purges everything matching (run by a job runner the test drives), progress, cancel,
 * groups by error, and the typed refusals.
 */

describe.each<StoreKind>(['sqlite', 'postgres'])('bulk dead-letter jobs over the API on %s', (kind) => {
  let engine: Engine
  afterEach(async () => {
    await engine?.close()
  })

  /** `n` dead deliveries of `audit` (a handler that throws PermanentError, with a varying number), and 2 of `crm`. */
  const setup = async (n: number) => {
    engine = await createEngine(kind)
    let fail = true
    const ran: string[] = []
    engine.handle('audit', ['ContactCreate'], async (_event, ctx) => {
      ran.push(ctx.eventId)
      if (fail) throw new PermanentError(`timeout after ${5000 + ran.length} ms`)
    })
    engine.handle('crm', ['ContactCreate'], async (event) => {
      if ((event.data as { crm?: boolean }).crm !== true) return
      throw new PermanentError('HTTP 500 from crm')
    })
    for (let i = 0; i < n; i++) await engine.send({ crm: i < 2 })
    await engine.drain()
    const runner = createDlqJobRunner({
      store: engine.store,
      logger: engine.app.fastify.log as never,
      owner: 'test-runner',
      onWork: () => {},
      now: () => engine.clock.now,
      window: 4,
    })
    return {
      ran,
      runner,
      succeedFromNowOn: () => {
        fail = false
      },
    }
  }

  it('counts, groups by error, then replays everything matching in a background job', async () => {
    const { ran, runner, succeedFromNowOn } = await setup(9)
    expect((await engine.api('GET', '/api/dlq/count')).json).toEqual({
      count: 11,
      capped: false,
      cap: 100_000,
    })
    const audit = await engine.api('GET', '/api/dlq/count?subscriber=audit')
    expect(audit.json.count).toBe(9)

    const groups = await engine.api('GET', '/api/dlq/groups')
    expect(groups.status).toBe(200)
    expect(groups.json).toMatchObject({ scanned: 11, complete: true })
    expect(
      groups.json.data.map((g: { subscriber: string; fingerprint: string; count: number }) => [
        g.subscriber,
        g.fingerprint,
        g.count,
      ]),
    ).toEqual([
      ['audit', 'PermanentError: timeout after # ms', 9],
      ['crm', 'PermanentError: HTTP 500 from crm', 2],
    ])

    const created = await engine.api('POST', '/api/dlq/jobs', {
      action: 'replay',
      filter: { fingerprint: groups.json.data[0].fingerprint },
      expectedCount: 9,
    })
    expect(created.status).toBe(202)
    expect(created.json).toMatchObject({ action: 'replay', state: 'queued', total: 9, done: 0 })
    expect(created.json.filter).toEqual({ fingerprint: 'PermanentError: timeout after # ms' })

    await runner.runAvailable()
    const finished = await engine.api('GET', `/api/dlq/jobs/${created.json.id}`)
    expect(finished.json).toMatchObject({ state: 'succeeded', done: 9, total: 9, error: null })
    expect(finished.json.finishedAt).not.toBeNull()
    expect((await engine.api('GET', '/api/dlq/count?subscriber=audit')).json.count).toBe(0)
    expect((await engine.api('GET', '/api/dlq/count?subscriber=crm')).json.count).toBe(2)

    succeedFromNowOn()
    ran.length = 0
    await engine.drain()
    expect(ran).toHaveLength(9)
    expect(new Set(ran).size).toBe(9)
    const recent = await engine.api('GET', '/api/dlq/jobs')
    expect(recent.json.data.map((j: { id: string }) => j.id)).toEqual([created.json.id])
  })

  it('purges by filter; cancels a queued job; answers typed errors', async () => {
    const { runner } = await setup(3)
    const purge = await engine.api('POST', '/api/dlq/jobs', {
      action: 'purge',
      filter: { subscriber: 'crm' },
    })
    expect(purge.status).toBe(202)
    await runner.runAvailable()
    expect((await engine.api('GET', `/api/dlq/jobs/${purge.json.id}`)).json).toMatchObject({
      state: 'succeeded',
      done: 2,
    })
    expect((await engine.api('GET', '/api/dlq/count')).json.count).toBe(3)

    const queued = await engine.api('POST', '/api/dlq/jobs', { action: 'replay' })
    expect(queued.json.total).toBe(3)
    const cancelled = await engine.api('DELETE', `/api/dlq/jobs/${queued.json.id}`)
    expect(cancelled.status).toBe(200)
    expect(cancelled.json.state).toBe('cancelled')
    await runner.runAvailable()
    expect((await engine.api('GET', '/api/dlq/count')).json.count).toBe(3)

    const again = await engine.api('DELETE', `/api/dlq/jobs/${queued.json.id}`)
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('conflict')
    expect((await engine.api('DELETE', `/api/dlq/jobs/${purge.json.id}`)).status).toBe(409)
    expect((await engine.api('GET', '/api/dlq/jobs/job_nope')).json.error.code).toBe('not_found')
    expect((await engine.api('DELETE', '/api/dlq/jobs/job_nope')).status).toBe(404)

    const more = await engine.api('POST', '/api/dlq/jobs', { action: 'replay', expectedCount: 2 })
    expect(more.status).toBe(409)
    expect(more.json.error.message).toContain('3 dead deliveries match now')
    const badFilter = await engine.api('POST', '/api/dlq/jobs', {
      action: 'replay',
      filter: { subscribr: 'x' },
    })
    expect(badFilter.status).toBe(400)
    expect(badFilter.json.error.code).toBe('invalid_request')
    const badAction = await engine.api('POST', '/api/dlq/jobs', { action: 'delete' })
    expect(badAction.json.error.code).toBe('invalid_request')
    expect((await engine.api('GET', '/api/dlq/count?since=yesterday')).json.error.code).toBe(
      'invalid_request',
    )
    // The refused ones made no job.
    expect((await engine.api('GET', '/api/dlq/jobs')).json.data).toHaveLength(2)
  })
})
