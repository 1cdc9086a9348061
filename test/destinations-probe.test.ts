import { afterEach, describe, expect, it } from 'vitest'
import { onAnnouncement } from '../src/assemble.js'
import { freshPostgresDatabase } from './support/databases.js'
import { createDestinationEngine, type DestinationEngine } from './support/destinations.js'
import { type Sink, startSink } from './support/sink.js'
import type { StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * "Probe now" (POST /api/destinations/:id/probe) and replays into a destination whose circuit is
 * open: the circuit goes half-open at once — in this process and, through the store, in the
 * others — so the next due delivery probes instead of waiting out the cooldown. The clock never
 * moves in these tests: everything that is sent is sent well within the cooldown (30 s).
 */

const breaker = (url: string) => ({
  id: 'breaker',
  url,
  events: ['*'],
  retry: { minDelay: '1s', maxDelay: '1s', maxAttempts: 1 },
  circuitBreaker: { minAttempts: 2, window: '1m', cooldown: '30s', failureRate: 1 },
})

describe.each<StoreKind>(['sqlite', 'postgres'])('probing a destination on %s', (kind) => {
  const engines: DestinationEngine[] = []
  const sinks: Sink[] = []
  const cleanups: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    for (const engine of engines.splice(0).reverse()) await engine.close()
    for (const s of sinks.splice(0)) await s.close()
  })
  /** A sink that answers 503 until `up` is set. */
  const flaky = async () => {
    const state = { up: false }
    const sink = await startSink(() => (state.up ? { status: 200 } : { status: 503 }))
    sinks.push(sink)
    return Object.assign(state, { sink })
  }
  const open = async (options: Parameters<typeof createDestinationEngine>[1]) => {
    const engine = await createDestinationEngine(kind, options)
    engines.push(engine)
    return engine
  }
  /** Two failing deliveries: both dead (one attempt each), the circuit open. */
  const openCircuit = async (engine: DestinationEngine) => {
    const events = [await engine.send(), await engine.send()]
    await engine.drain()
    expect(engine.destinations.runtime('breaker')!.breaker!.state(engine.clock.now)).toBe('open')
    return events
  }
  const circuitOf = (engine: DestinationEngine) =>
    engine.destinations.runtime('breaker')!.breaker!.snapshot(engine.clock.now)

  it('answers 404 for an unknown destination, conflict for a paused one, and 202 (nothing to do) on a closed circuit', async () => {
    const target = await flaky()
    const engine = await open({ configured: [breaker(target.sink.url)] })
    const unknown = await engine.api('POST', '/api/destinations/nope/probe')
    expect(unknown.status).toBe(404)
    expect(unknown.json.error.code).toBe('not_found')

    const closed = await engine.api('POST', '/api/destinations/breaker/probe')
    expect(closed.status).toBe(202)
    expect(closed.json).toMatchObject({ destination: 'breaker', circuit: { state: 'closed' } })
    expect(closed.json.requestedAt).toBe(new Date(engine.clock.now).toISOString())

    await engine.api('POST', '/api/destinations/breaker/pause')
    const paused = await engine.api('POST', '/api/destinations/breaker/probe')
    expect(paused.status).toBe(409)
    expect(paused.json.error.code).toBe('conflict')
    expect(paused.json.error.message).toContain('resume it (POST /api/destinations/breaker/resume) first')
  })

  it('probe now: an open circuit goes half-open at once; the next due delivery probes and closes it', async () => {
    const target = await flaky()
    const engine = await open({ configured: [breaker(target.sink.url)] })
    await openCircuit(engine)
    const waiting = await engine.send()
    expect(await engine.drain()).toBe(0) // open: nothing is sent for 30 s
    target.up = true

    const answer = await engine.api('POST', '/api/destinations/breaker/probe')
    expect(answer.status).toBe(202)
    expect(answer.json.circuit).toMatchObject({ state: 'half_open', probeAt: null })
    expect(await engine.drain()).toBe(1)
    expect((await engine.deliveries(waiting))[0]!.state).toBe('succeeded')
    expect(circuitOf(engine)).toMatchObject({ state: 'closed' })
    // The page's figures: two failures that opened it, the probe that closed it.
    const stats = (await engine.api('GET', '/api/destinations/breaker/attempts?limit=2')).json
    expect(stats).toMatchObject({ scanned: 5000, attempts: 3, successRate: 1 / 3 })
    expect(stats.data.map((a: { status: number; outcome: string }) => [a.status, a.outcome])).toEqual([
      [200, 'succeeded'],
      [503, 'dead'],
    ])
    const counted = (await engine.metrics.destinationProbeRequests.get()).values
    expect(counted).toContainEqual(
      expect.objectContaining({ labels: { destination: 'breaker', reason: 'manual' } }),
    )
  })

  it('a failed probe now reopens the circuit with the same cooldown', async () => {
    const target = await flaky()
    const engine = await open({ configured: [breaker(target.sink.url)] })
    await openCircuit(engine)
    await engine.send()
    await engine.api('POST', '/api/destinations/breaker/probe')
    expect(await engine.drain()).toBe(1)
    expect(circuitOf(engine)).toMatchObject({ state: 'open', cooldownMs: 30_000 })
  })

  it('replaying a delivery, an event or the dead-letter queue into an open circuit probes at once', async () => {
    const target = await flaky()
    const engine = await open({ configured: [breaker(target.sink.url)] })
    const [first, second] = await openCircuit(engine)
    target.up = true
    const [dead] = await engine.deliveries(first!)
    expect(dead!.state).toBe('dead')

    // One delivery.
    expect((await engine.api('POST', '/api/replay', { deliveryId: dead!.id })).json.replayed).toBe(1)
    expect(circuitOf(engine).state).toBe('half_open')
    expect(await engine.drain()).toBe(1)
    expect((await engine.deliveries(first!))[0]!.state).toBe('succeeded')
    expect(circuitOf(engine).state).toBe('closed')

    // One event, then the dead-letter queue by filter, each after the circuit opened again.
    target.up = false
    await openCircuit(engine)
    target.up = true
    await engine.api('POST', '/api/replay', { eventId: second! })
    expect(circuitOf(engine).state).toBe('half_open')
    expect(await engine.drain()).toBeGreaterThanOrEqual(1)
    expect(circuitOf(engine).state).toBe('closed')

    target.up = false
    await openCircuit(engine)
    target.up = true
    const bulk = await engine.api('POST', '/api/replay', { filter: { subscriber: 'breaker' }, limit: 100 })
    expect(bulk.json.replayed).toBeGreaterThanOrEqual(2)
    expect(circuitOf(engine).state).toBe('half_open')
    expect(await engine.drain()).toBe(bulk.json.replayed)
    expect(circuitOf(engine).state).toBe('closed')
  })

  it("a background replay job (the console's bulk replay) into an open circuit probes when it is created", async () => {
    const target = await flaky()
    const engine = await open({ configured: [breaker(target.sink.url)] })
    await openCircuit(engine)
    const job = await engine.api('POST', '/api/dlq/jobs', {
      action: 'replay',
      filter: { subscriber: 'breaker' },
    })
    expect(job.status).toBe(202)
    expect(circuitOf(engine).state).toBe('half_open')
  })

  it.runIf(kind === 'postgres')(
    'a probe asked of one process reaches another on the same database at once (NOTIFY), not at its next reload',
    async () => {
      const target = await flaky()
      const database = await freshPostgresDatabase()
      cleanups.push(() => database.drop())
      const a = await open({ database, configured: [breaker(target.sink.url)] })
      const b = await open({ database, configured: [breaker(target.sink.url)] })
      cleanups.push(b.store.listenForWork(onAnnouncement(b.assembly), () => {}))
      await openCircuit(b)
      await b.send()
      expect(a.destinations.runtime('breaker')!.breaker!.state(a.clock.now)).toBe('closed')
      target.up = true

      // a's circuit is closed; the request still reaches b, whose reload interval is off (0).
      expect((await a.api('POST', '/api/destinations/breaker/probe')).status).toBe(202)
      await until(() => circuitOf(b).state === 'half_open', 'the circuit half open', 5000)
      expect(await b.drain()).toBe(1)
      expect(circuitOf(b).state).toBe('closed')
    },
  )
})
