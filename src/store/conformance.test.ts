import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import { newId } from '../ids.js'
import { storedFromNew } from './event-columns.js'
import type { Store } from './types.js'

/**
 * The Store contract, run against both implementations. A behaviour one store has and the other
 * lacks is a bug in the one that lacks it.
 */

describe.each(STORE_HARNESSES)('Store conformance: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  const { keep } = storePerTest(harness, (fresh) => {
    store = fresh
  })

  it('migrates once and is idempotent', async () => {
    const again = await store.migrate()
    expect(again.applied).toEqual([])
    expect(again.current).toBeGreaterThanOrEqual(1)
    expect(again.unknown).toEqual([])
  })

  it('reports migration status without applying anything: all pending, then none', async () => {
    const fresh = keep(await harness.open())
    const before = await fresh.migrationStatus()
    expect(before.current).toBe(0)
    expect(before.pending.length).toBeGreaterThanOrEqual(1)
    expect(before.pending[0]).toMatch(/^0001_[a-z0-9_]+$/)
    expect(before.unknown).toEqual([])
    // Asking twice changes nothing: still nothing applied.
    expect(await fresh.migrationStatus()).toEqual(before)
    const report = await fresh.migrate()
    expect(report.applied).toEqual(before.pending)
    expect(await fresh.migrationStatus()).toEqual({
      current: before.pending.length,
      pending: [],
      unknown: [],
    })

    await harness.exec(
      `INSERT INTO gateway_migrations (version, name, checksum, applied_at) VALUES (9999, 'future', 'x', ${
        harness.name === 'sqlite' ? '0' : 'now()'
      })`,
    )
    expect(await fresh.migrationStatus()).toMatchObject({ pending: [], unknown: [9999] })
  })

  it('refuses to start when an applied migration was edited', async () => {
    await harness.exec(`UPDATE gateway_migrations SET checksum = 'edited' WHERE version = 1`)
    await expect(store.migrate()).rejects.toThrow(/append-only/)
  })

  it('reports migrations it does not know (a newer replica ran them) without failing', async () => {
    await harness.exec(
      `INSERT INTO gateway_migrations (version, name, checksum, applied_at) VALUES (9999, 'future', 'x', ${
        harness.name === 'sqlite' ? '0' : 'now()'
      })`,
    )
    const report = await store.migrate()
    expect(report.unknown).toEqual([9999])
  })

  it('stores an event and returns every field, with the raw bytes intact', async () => {
    const rawBody = Buffer.concat([Buffer.from('{"a":"é"} '), randomBytes(64), Buffer.from([0, 255, 254])])
    const event = sampleEvent({
      rawBody,
      flags: ['unverified'],
      companyId: 'comp_1',
      eventHint: 'InvoiceCreate',
      traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      schemaStatus: 'drift',
      classification: {
        matchedBy: 'hint',
        family: 'invoice',
        issues: [{ path: 'tags', message: 'x' }],
        notes: ['n'],
      },
    })
    const [outcome] = await store.insertEvents([event])

    const stored = await store.getEvent(event.id)
    expect(stored).toBeDefined()
    expect(outcome).toEqual({ status: 'accepted', eventId: event.id, seq: stored!.seq })
    // A delivery leased at ingest carries the event as built in memory: it must be what a read gives.
    expect(storedFromNew(event, stored!.seq)).toEqual(stored)
    expect(stored!.rawBody.equals(rawBody)).toBe(true)
    expect(stored).toMatchObject({
      id: event.id,
      source: 'ghl',
      dedupeKey: event.dedupeKey,
      webhookId: event.webhookId,
      receivedAt: event.receivedAt,
      contentType: 'application/json',
      headers: event.headers,
      contentHash: 'sha256:abc',
      verification: event.verification,
      ghlType: 'ContactCreate',
      locationId: 'loc_1',
      companyId: 'comp_1',
      sentAt: event.sentAt,
      flags: ['unverified'],
      eventHint: 'InvoiceCreate',
      traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
      eventName: 'ContactCreate',
      eventType: 'contact.created',
      entityKind: 'contact',
      entityId: event.entityId,
      occurredAt: event.occurredAt,
      bodyFormat: 'flat',
      schemaStatus: 'drift',
      classification: event.classification,
      duplicateCount: 0,
      lastDuplicateAt: null,
      bodyBytes: rawBody.length,
    })
    expect(stored!.seq).toBeTypeOf('number')
    expect(await store.getEvent('evt_missing')).toBeUndefined()
  })

  it('stores JSON columns whose text holds NUL characters (quoted from a signed body)', async () => {
    const classification = {
      matchedBy: 'none',
      family: null,
      issues: [],
      notes: ['unknown type "a\u0000b"', '\\u0000'],
    }
    const event = sampleEvent({ classification })
    expect((await store.insertEvents([event]))[0]!.status).toBe('accepted')
    const notes = (await store.getEvent(event.id))!.classification!.notes
    expect(notes[0]).toMatch(/^unknown type "a.b"$/)
    expect(notes[1]).toBe('\\u0000')
  })

  it('recognises a duplicate in a later batch and counts it, keeping the first copy', async () => {
    const first = sampleEvent()
    await store.insertEvents([first])
    const copy = sampleEvent({ dedupeKey: first.dedupeKey, rawBody: Buffer.from('{"different":"bytes"}') })
    const [outcome] = await store.insertEvents([copy])
    expect(outcome).toEqual({ status: 'duplicate', eventId: first.id })
    const stored = await store.getEvent(first.id)
    expect(stored!.duplicateCount).toBe(1)
    expect(stored!.lastDuplicateAt).toBe(copy.receivedAt)
    expect(stored!.rawBody.equals(first.rawBody)).toBe(true)
    expect(await store.getEvent(copy.id)).toBeUndefined()
  })

  it('recognises duplicates inside one batch', async () => {
    const first = sampleEvent()
    const other = sampleEvent()
    const copies = [1, 2, 3].map(() => sampleEvent({ dedupeKey: first.dedupeKey }))
    const outcomes = await store.insertEvents([first, copies[0]!, other, copies[1]!, copies[2]!])
    expect(outcomes.map((o) => o.status)).toEqual([
      'accepted',
      'duplicate',
      'accepted',
      'duplicate',
      'duplicate',
    ])
    expect(new Set(outcomes.filter((o) => o.status === 'duplicate').map((o) => o.eventId))).toEqual(
      new Set([first.id]),
    )
    expect((await store.getEvent(first.id))!.duplicateCount).toBe(3)
  })

  it('keeps the same sender id from two sources apart', async () => {
    const a = sampleEvent({ source: 'ghl', dedupeKey: 'same' })
    const b = sampleEvent({ source: 'billing', dedupeKey: 'same' })
    const outcomes = await store.insertEvents([a, b])
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted'])
  })

  it('stores exactly one row for 50 concurrent copies, across two connections', async () => {
    const sibling = keep(harness.openSibling())
    const key = `concurrent-${Date.now()}`
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? sibling : store).insertEvents([sampleEvent({ dedupeKey: key })]),
      ),
    )
    const flat = outcomes.flat()
    expect(flat.filter((o) => o.status === 'accepted')).toHaveLength(1)
    const winner = flat.find((o) => o.status === 'accepted')!.eventId
    expect(flat.every((o) => o.eventId === winner)).toBe(true)
    const page = await store.listEvents({}, { limit: 100 })
    expect(page.items.filter((e) => e.dedupeKey === key)).toHaveLength(1)
    expect(page.items.find((e) => e.dedupeKey === key)!.duplicateCount).toBe(49)
  })

  it('lists newest first, filters, and pages with a cursor', async () => {
    const base = Date.now()
    const events = Array.from({ length: 7 }, (_, i) =>
      sampleEvent({
        receivedAt: base + i,
        locationId: i % 2 ? 'loc_odd' : 'loc_even',
        ghlType: i < 3 ? 'ContactCreate' : 'OpportunityCreate',
        eventType: i < 3 ? 'contact.created' : 'opportunity.created',
      }),
    )
    await store.insertEvents(events)

    const all = await store.listEvents({}, { limit: 100 })
    expect(all.items.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse())
    expect(all.nextCursor).toBeNull()
    expect('rawBody' in all.items[0]!).toBe(false)

    const first = await store.listEvents({}, { limit: 3 })
    const second = await store.listEvents({}, { limit: 3, cursor: first.nextCursor! })
    const third = await store.listEvents({}, { limit: 3, cursor: second.nextCursor! })
    expect([...first.items, ...second.items, ...third.items].map((e) => e.id)).toEqual(
      all.items.map((e) => e.id),
    )
    expect(third.nextCursor).toBeNull()

    const odd = await store.listEvents({ locationId: 'loc_odd' }, { limit: 100 })
    expect(odd.items).toHaveLength(3)
    const opportunities = await store.listEvents(
      { ghlType: 'OpportunityCreate', locationId: 'loc_even' },
      { limit: 100 },
    )
    expect(opportunities.items.map((e) => e.id)).toEqual([events[6]!.id, events[4]!.id])
    const window = await store.listEvents({ since: base + 2, until: base + 4 }, { limit: 100 })
    expect(window.items.map((e) => e.id)).toEqual([events[3]!.id, events[2]!.id])
    const byType = await store.listEvents(
      { eventTypes: ['contact.created', 'opportunity.created'] },
      { limit: 100 },
    )
    expect(byType.items).toHaveLength(7)
    expect((await store.listEvents({ eventTypes: [] }, { limit: 100 })).items).toEqual([])
    const byEntity = await store.listEvents({ entityId: events[5]!.entityId! }, { limit: 100 })
    expect(byEntity.items.map((e) => e.id)).toEqual([events[5]!.id])
    const byWebhook = await store.listEvents({ webhookId: events[1]!.webhookId! }, { limit: 10 })
    expect(byWebhook.items.map((e) => e.id)).toEqual([events[1]!.id])
    expect((await store.listEvents({ source: 'nobody' }, { limit: 10 })).items).toEqual([])
  })

  it('shares token buckets between connections: never more than burst + rate × elapsed', async () => {
    const limit = { perSecond: 10, burst: 5 }
    const rate = limit.perSecond / 1000
    const t0 = Date.now()
    expect(await store.takeRateTokens('dst:a', 10, limit, t0)).toBe(5)
    // Empty. (On PostgreSQL's own clock, what refilled since the first take: none unless a busy
    // machine made that 100 ms or more.)
    const again = await store.takeRateTokens('dst:a', 10, limit, t0)
    expect(again).toBeLessThanOrEqual(
      harness.name === 'sqlite' ? 0 : Math.floor((Date.now() - t0 + 1) * rate + 1e-9),
    )
    // Another process, same bucket, racing: together they get what the bucket refilled, no more.
    const sibling = keep(harness.openSibling())
    await sibling.migrate()
    const started = Date.now()
    const takes = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? sibling : store).takeRateTokens('dst:a', 1, limit, t0 + 300),
      ),
    )
    const ended = Date.now()
    const granted = takes.reduce((sum, n) => sum + n, 0)
    // SQLite runs on the caller's clock: 300 ms after the bucket was emptied it holds 3 tokens.
    // PostgreSQL runs on its own: what it refilled before the race (at most the burst), plus what
    // it refilled during the race, however long a busy machine made each (+1 ms: Date.now()
    // truncates a time the database keeps in µs).
    const allowed =
      harness.name === 'sqlite'
        ? 300 * rate
        : Math.min(limit.burst, (started - t0) * rate) + (ended - started + 1) * rate
    expect(granted).toBeLessThanOrEqual(Math.floor(allowed + 1e-9))
    expect(ended - started).toBeLessThan(5000)
    // Buckets are independent.
    expect(await store.takeRateTokens('dst:b', 2, limit, t0)).toBe(2)
  })

  it('records heartbeats, and closes idempotently', async () => {
    const instance = { id: 'host:1:2', version: '9.9.9', startedAt: Date.now() }
    await store.heartbeat(instance)
    await store.heartbeat(instance)
    await store.close()
    await store.close()
    await expect(store.heartbeat(instance)).rejects.toSatisfy((error: unknown) =>
      store.isUnavailableError(error),
    )
  })

  it('stores destinations: insert once, replace keeping a pause, enabled ↔ disabled, conditional state', async () => {
    const definition = { id: 'crm', url: 'https://crm.example/hook', events: ['*'], auth: { token: 't0k' } }
    const write = { id: 'crm', origin: 'api' as const, definition, enabled: true }
    expect(await store.insertDestination(write, 1000)).toBe(true)
    expect(await store.insertDestination({ ...write, origin: 'config' }, 2000)).toBe(false)
    expect(await store.getDestination('crm')).toEqual({
      id: 'crm',
      origin: 'api',
      definition,
      state: 'active',
      stateReason: null,
      configSeenAt: null,
      orphanedAt: null,
      probeRequestedAt: null,
      createdAt: 1000,
      updatedAt: 1000,
    })
    expect(await store.getDestination('nope')).toBeUndefined()

    // A pause survives an edit; only a state listed in `from` moves.
    expect(await store.setDestinationState('crm', 'paused', 'gone: 410', 3000, ['active'])).toBe(true)
    expect(await store.setDestinationState('crm', 'paused', 'gone: 410', 3001, ['active'])).toBe(false)
    expect(await store.setDestinationState('crm', 'active', null, 3002, ['disabled'])).toBe(false)
    expect(
      await store.replaceDestination(
        { ...write, definition: { ...definition, events: ['contact.*'] } },
        4000,
      ),
    ).toBe(true)
    expect(await store.getDestination('crm')).toMatchObject({
      state: 'paused',
      stateReason: 'gone: 410',
      updatedAt: 4000,
      definition: { events: ['contact.*'] },
    })
    // enabled: false disables; enabling again makes it active (a pause before that is forgotten).
    await store.replaceDestination({ ...write, enabled: false }, 5000)
    expect(await store.getDestination('crm')).toMatchObject({
      state: 'disabled',
      stateReason: 'enabled: false',
    })
    await store.replaceDestination({ ...write, origin: 'config', enabled: true }, 6000)
    expect(await store.getDestination('crm')).toMatchObject({
      state: 'active',
      stateReason: null,
      origin: 'config',
    })
    expect(await store.replaceDestination({ ...write, id: 'nope' }, 6000)).toBe(false)

    expect(await store.insertDestination({ ...write, id: 'off', enabled: false }, 7000)).toBe(true)
    expect((await store.listDestinations()).map((d) => [d.id, d.state])).toEqual([
      ['crm', 'active'],
      ['off', 'disabled'],
    ])
  })

  it('deleting a destination dead-letters its open deliveries in the same transaction', async () => {
    await store.insertDestination({ id: 'hook', origin: 'api', definition: {}, enabled: true }, 1000)
    const now = Date.now()
    const delivery = (subscriberId: string) => ({
      id: newId('dlv'),
      subscriberId,
      orderingKey: null,
      runAt: now,
    })
    const [a, b] = [sampleEvent({ deliveries: [delivery('hook'), delivery('other')] }), sampleEvent()]
    b.deliveries = [delivery('hook')]
    await store.insertEvents([a, b])
    const [claimed] = await store.claimDeliveries({
      worker: 'w1',
      now,
      leaseMs: 60_000,
      slots: [{ subscriberId: 'hook', limit: 1 }],
    })
    expect(await store.deleteDestination('hook', now + 1, 'the destination hook was deleted')).toEqual({
      deleted: true,
      deadLettered: 2,
    })
    for (const event of [a, b]) {
      const hook = (await store.eventDeliveries(event.id)).find((d) => d.subscriberId === 'hook')!
      expect(hook).toMatchObject({
        state: 'dead',
        lastError: 'the destination hook was deleted',
        leaseOwner: null,
      })
    }
    expect((await store.eventDeliveries(a.id)).find((d) => d.subscriberId === 'other')!.state).toBe('pending')
    // The worker that held a lease finds it gone: its result is recorded as lease_lost.
    const [applied] = await store.finishAttempts(
      [
        {
          deliveryId: claimed!.id,
          worker: 'w1',
          attempt: {
            id: newId('att'),
            number: 1,
            cycle: 0,
            startedAt: now,
            durationMs: 5,
            errorClass: null,
            errorMessage: null,
            errorStack: null,
            response: { status: 200 },
          },
          next: { state: 'succeeded' },
        },
      ],
      now + 2,
    )
    expect(applied).toBe(false)
    expect(await store.getDestination('hook')).toBeUndefined()
    expect(await store.deleteDestination('hook', now + 3, 'again')).toEqual({
      deleted: false,
      deadLettered: 0,
    })
  })

  it('orphans config destinations nobody claims: paused, kept, back on a claim unless paused by someone else', async () => {
    const REASON = 'orphaned: in no running config file'
    const config = (id: string) => ({ id, origin: 'config' as const, definition: { id }, enabled: true })
    for (const id of ['a', 'b', 'c', 'd']) await store.insertDestination(config(id), 1000)
    await store.insertDestination({ id: 'api', origin: 'api', definition: {}, enabled: true }, 1000)
    await store.setDestinationState('c', 'paused', 'paused by an operator', 1000)
    await store.replaceDestination({ ...config('d'), enabled: false }, 1000)

    // A process with a, b in its file claims them (and nothing else: not the API one, not unknown ids).
    expect(await store.claimConfigDestinations(['a', 'b', 'api', 'nope'], 2000, REASON)).toEqual([])
    expect(await store.getDestination('a')).toMatchObject({
      configSeenAt: 2000,
      orphanedAt: null,
      updatedAt: 1000,
    })
    expect((await store.getDestination('api'))!.configSeenAt).toBeNull()

    // Unclaimed since before 1500: c and d. Only the active ones are paused; the others keep their state.
    expect(await store.orphanConfigDestinations(1500, 3000, REASON)).toEqual(['c', 'd'])
    expect(await store.orphanConfigDestinations(1500, 3001, REASON)).toEqual([])
    expect(await store.getDestination('c')).toMatchObject({
      state: 'paused',
      stateReason: 'paused by an operator',
      orphanedAt: 3000,
    })
    expect(await store.getDestination('d')).toMatchObject({ state: 'disabled', orphanedAt: 3000 })
    // A release undoes only the releasing process's own claim: b was claimed again since.
    await store.claimConfigDestinations(['b'], 2500, REASON)
    await store.releaseConfigDestinations(['a', 'b'], 2000)
    expect((await store.getDestination('b'))!.configSeenAt).toBe(2500)
    // a's process stopped cleanly: a is orphaned at once, paused with the orphan reason.
    expect(await store.orphanConfigDestinations(1500, 4000, REASON)).toEqual(['a'])
    expect(await store.getDestination('a')).toMatchObject({
      state: 'paused',
      stateReason: REASON,
      orphanedAt: 4000,
      configSeenAt: null,
      updatedAt: 4000,
    })
    expect((await store.getDestination('b'))!.orphanedAt).toBeNull()

    // Back in a file: a resumes; c stays paused (an operator paused it), d stays disabled.
    expect(await store.claimConfigDestinations(['a', 'b', 'c', 'd'], 5000, REASON)).toEqual(['a', 'c', 'd'])
    expect(await store.getDestination('a')).toMatchObject({
      state: 'active',
      stateReason: null,
      orphanedAt: null,
      configSeenAt: 5000,
      updatedAt: 5000,
    })
    expect(await store.getDestination('c')).toMatchObject({
      state: 'paused',
      stateReason: 'paused by an operator',
    })
    expect(await store.getDestination('d')).toMatchObject({ state: 'disabled', orphanedAt: null })

    // An orphan an operator paused meanwhile stays paused when it comes back.
    await store.releaseConfigDestinations(['a'], 5000)
    await store.orphanConfigDestinations(6000, 6000, REASON)
    await store.setDestinationState('a', 'paused', 'paused by an operator', 6001)
    await store.claimConfigDestinations(['a'], 7000, REASON)
    expect(await store.getDestination('a')).toMatchObject({ state: 'paused', orphanedAt: null })

    // Adopting an orphan through the API (replace with origin api) ends its orphan status.
    await store.releaseConfigDestinations(['b'], 5000)
    await store.orphanConfigDestinations(8000, 8000, REASON)
    await store.replaceDestination({ id: 'b', origin: 'api', definition: { id: 'b' }, enabled: true }, 8001)
    expect(await store.getDestination('b')).toMatchObject({
      origin: 'api',
      orphanedAt: null,
      configSeenAt: null,
    })
  })

  it('counts open deliveries per subscriber; deletes only API destinations and orphans', async () => {
    const now = Date.now()
    const delivery = (subscriberId: string) => ({
      id: newId('dlv'),
      subscriberId,
      orderingKey: null,
      runAt: now,
    })
    const [a, b] = [sampleEvent(), sampleEvent()]
    a.deliveries = [delivery('live'), delivery('gone')]
    b.deliveries = [delivery('live')]
    await store.insertEvents([a, b])
    expect(await store.countOpenDeliveries(['live', 'gone', 'none', 'live'])).toEqual(
      new Map([
        ['live', 2],
        ['gone', 1],
      ]),
    )
    expect(await store.countOpenDeliveries([])).toEqual(new Map())

    const config = (id: string) => ({ id, origin: 'config' as const, definition: {}, enabled: true })
    await store.insertDestination(config('live'), 1000)
    await store.insertDestination(config('gone'), 1000)
    await store.claimConfigDestinations(['live'], now, 'orphaned')
    await store.orphanConfigDestinations(now, now, 'orphaned')
    // A config destination a running process defines is never deleted, whoever asks.
    expect(await store.deleteDestination('live', now, 'deleted')).toEqual({ deleted: false, deadLettered: 0 })
    expect(await store.countOpenDeliveries(['live'])).toEqual(new Map([['live', 2]]))
    expect(await store.deleteDestination('gone', now, 'the orphan gone was deleted')).toEqual({
      deleted: true,
      deadLettered: 1,
    })
    expect((await store.eventDeliveries(a.id)).find((d) => d.subscriberId === 'gone')).toMatchObject({
      state: 'dead',
      lastError: 'the orphan gone was deleted',
    })
  })

  it('records a probe request on the destination, leaving its definition, state and updatedAt', async () => {
    await store.insertDestination({ id: 'crm', origin: 'api', definition: { v: 1 }, enabled: true }, 1000)
    await store.setDestinationState('crm', 'paused', 'operator', 1500)
    expect(await store.requestDestinationProbe('crm', 2000)).toMatchObject({
      id: 'crm',
      state: 'paused',
      probeRequestedAt: 2000,
      updatedAt: 1500,
    })
    // A clock behind the last request still records its own value (processes compare by inequality).
    await store.requestDestinationProbe('crm', 1800)
    expect((await store.listDestinations())[0]!.probeRequestedAt).toBe(1800)
    expect(await store.requestDestinationProbe('nope', 2000)).toBeUndefined()
  })

  it('tells storage outages from row errors', () => {
    const diskFull = harness.name === 'sqlite' ? 'SQLITE_FULL' : '53100'
    expect(store.isUnavailableError(Object.assign(new Error('x'), { code: diskFull }))).toBe(true)
    if (harness.name === 'postgres') {
      expect(store.isUnavailableError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true)
      expect(store.isUnavailableError(Object.assign(new Error('x'), { code: '25006' }))).toBe(true)
      expect(store.isUnavailableError(new Error('Connection terminated unexpectedly'))).toBe(true)
    }
    // A bug is not an outage: it must surface as 500, not as "retry later".
    expect(store.isUnavailableError(new TypeError('cannot read properties of undefined'))).toBe(false)
    const rowError = harness.name === 'sqlite' ? 'SQLITE_CONSTRAINT_CHECK' : '22P05'
    expect(store.isUnavailableError(Object.assign(new Error('x'), { code: rowError }))).toBe(false)
  })
})
