import { afterEach, describe, expect, it } from 'vitest'
import { ORPHAN_REASON } from '../src/destinations/config-claims.js'
import { freshPostgresDatabase, freshSqliteFile } from './support/databases.js'
import { createDestinationEngine, type DestinationEngine, START } from './support/destinations.js'
import { type Sink, startSink } from './support/sink.js'
import type { StoreKind } from './support/test-app.js'

/**
 * /api/destinations on SQLite and PostgreSQL: CRUD validated with the config file's schema,
 * secrets redacted, config destinations read-only, pause/resume, the synchronous test send,
 * deliveries per destination, and changes reaching the registry — at once in this process, at the
 * next reload in another one.
 */

/** A `${NAME}` environment reference, as a user writes it. */
const ref = (name: string) => `\${${name}}`

describe.each<StoreKind>(['sqlite', 'postgres'])('destinations API on %s', (kind) => {
  const engines: DestinationEngine[] = []
  const sinks: Sink[] = []
  const cleanups: (() => Promise<void> | void)[] = []
  const open = async (...args: Parameters<typeof createDestinationEngine>) => {
    const engine = await createDestinationEngine(...args)
    engines.push(engine)
    return engine
  }
  const sink = async (respond?: Parameters<typeof startSink>[0]) => {
    const s = await startSink(respond)
    sinks.push(s)
    return s
  }
  const sharedDatabase = async () => {
    const database = kind === 'sqlite' ? freshSqliteFile() : await freshPostgresDatabase()
    cleanups.push(() => ('remove' in database ? database.remove() : database.drop()))
    return database
  }
  afterEach(async () => {
    for (const engine of engines.splice(0).reverse()) await engine.close()
    for (const s of sinks.splice(0)) await s.close()
    for (const cleanup of cleanups.splice(0)) await cleanup()
  })

  it('creates, lists, edits and deletes; secrets come back as *** and stay usable', async () => {
    const target = await sink()
    const engine = await open(kind, { env: { CRM_TOKEN: 'from-the-env' } })
    const created = await engine.api('POST', '/api/destinations', {
      id: 'crm',
      url: target.url,
      events: ['contact.*'],
      auth: { type: 'bearer', token: ref('CRM_TOKEN') },
      headers: { 'X-Api-Key': 'literal-key', 'X-Team': 'growth' },
      publicHeaders: ['X-Team'],
      signing: { secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
    })
    expect(created.status).toBe(201)
    expect(created.json).toMatchObject({
      id: 'crm',
      origin: 'api',
      state: 'active',
      definition: {
        auth: { type: 'bearer', token: ref('CRM_TOKEN') },
        headers: { 'X-Api-Key': '***', 'X-Team': 'growth' },
        signing: { secrets: ['***'] },
      },
      process: { running: true, circuit: { state: 'closed' }, rateLimit: null },
    })
    // Stored as given: the env reference, not its value.
    const row = await engine.store.getDestination('crm')
    expect(JSON.stringify(row!.definition)).not.toContain('from-the-env')

    expect((await engine.api('GET', '/api/destinations')).json.data.map((d: { id: string }) => d.id)).toEqual(
      ['crm'],
    )
    // The registry has it at once: the next webhook plans a delivery.
    await engine.send()
    await engine.drain()
    expect(target.requests[0]!.headers).toMatchObject({
      authorization: 'Bearer from-the-env',
      'x-api-key': 'literal-key',
    })

    // Round trip: GET → change → PUT with *** keeps the stored secrets.
    const document = (await engine.api('GET', '/api/destinations/crm')).json.definition
    const edited = await engine.api('PUT', '/api/destinations/crm', {
      ...document,
      events: ['*'],
      url: `${target.url}/v2`,
    })
    expect(edited.status).toBe(200)
    expect(edited.json.definition).toMatchObject({ events: ['*'], headers: { 'X-Api-Key': '***' } })
    await engine.send({ type: 'OpportunityCreate' })
    await engine.drain()
    expect(target.requests[1]).toMatchObject({ url: '/hook/v2' })
    expect(target.requests[1]!.headers['x-api-key']).toBe('literal-key')

    const removed = await engine.api('DELETE', '/api/destinations/crm')
    expect(removed.json).toEqual({ deleted: true, deadLettered: 0 })
    const eventId = await engine.send()
    expect(await engine.deliveries(eventId)).toEqual([])
    expect((await engine.api('GET', '/api/destinations/crm')).status).toBe(404)
  })

  it('validates with the config schema and names each bad field; ids are unique', async () => {
    const engine = await open(kind)
    const bad = await engine.api('POST', '/api/destinations', {
      id: 'bad id',
      url: 'ftp://example.com',
      events: [],
      payload: 'template',
      ratelimit: { perSecond: 5 },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.code).toBe('invalid_request')
    expect(bad.json.error.message).toMatch(/^invalid destination: /)
    expect(bad.json.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      '',
      'events',
      'id',
      'url',
    ])

    const missingEnv = await engine.api('POST', '/api/destinations', {
      id: 'x',
      url: 'https://example.com',
      events: ['*'],
      auth: { type: 'bearer', token: ref('NOT_SET_ANYWHERE') },
    })
    expect(missingEnv.json.error.message).toContain(`auth.token refers to ${ref('NOT_SET_ANYWHERE')}`)

    const good = { id: 'dup', url: 'https://example.com/hook', events: ['*'] }
    expect((await engine.api('POST', '/api/destinations', good)).status).toBe(201)
    const again = await engine.api('POST', '/api/destinations', good)
    expect(again.status).toBe(409)
    expect(again.json.error.code).toBe('conflict')

    const secretless = await engine.api('POST', '/api/destinations', {
      ...good,
      id: 'stars',
      auth: { type: 'bearer', token: '***' },
    })
    expect(secretless.json.error.message).toContain('auth.token: send the secret')

    const mismatch = await engine.api('PUT', '/api/destinations/dup', { ...good, id: 'other' })
    expect(mismatch.status).toBe(400)
    expect((await engine.api('GET', '/api/destinations')).json.data).toHaveLength(1)
    expect((await engine.app.fastify.inject({ method: 'GET', url: '/api/destinations' })).statusCode).toBe(
      401,
    )
  })

  it('refuses a misspelt event pattern or key with the nearest name, on create and on replace', async () => {
    const engine = await open(kind)
    const typo = await engine.api('POST', '/api/destinations', {
      id: 'crm',
      url: 'https://example.com/hook',
      events: ['contact.*', 'contact.creatd'],
    })
    expect(typo.status).toBe(400)
    expect(typo.json.error).toMatchObject({
      code: 'invalid_request',
      message:
        'invalid destination: events.1: "contact.creatd" matches no event; did you mean "contact.created"? ' +
        "(another source's own type is accepted when the subscriber's sources leave out ghl)",
    })
    const key = await engine.api('POST', '/api/destinations', {
      id: 'crm',
      url: 'https://example.com/hook',
      evnts: ['*'],
      events: ['*'],
    })
    expect(key.status).toBe(400)
    expect(key.json.error.message).toBe('invalid destination: unknown key "evnts"; did you mean "events"?')

    const good = { id: 'crm', url: 'https://example.com/hook', events: ['contact.created'] }
    expect((await engine.api('POST', '/api/destinations', good)).status).toBe(201)
    const replaced = await engine.api('PUT', '/api/destinations/crm', { ...good, events: ['ContactCreat'] })
    expect(replaced.status).toBe(400)
    expect(replaced.json.error.message).toContain('did you mean "ContactCreate"?')
    const otherSource = await engine.api('PUT', '/api/destinations/crm', {
      ...good,
      events: ['contact.creatd'],
      sources: ['billing'],
    })
    expect(otherSource.status).toBe(200)
  })

  it('config destinations are listed but read-only; pause and resume work on them', async () => {
    const target = await sink()
    const engine = await open(kind, {
      configured: [
        { id: 'from-file', url: target.url, events: ['*'], auth: { type: 'bearer', token: 'file-secret' } },
      ],
    })
    const listed = (await engine.api('GET', '/api/destinations/from-file')).json
    expect(listed).toMatchObject({
      origin: 'config',
      state: 'active',
      definition: { auth: { token: '***' } },
    })
    // Not even the database holds the config file's secret.
    expect(JSON.stringify((await engine.store.getDestination('from-file'))!.definition)).not.toContain(
      'file-secret',
    )

    const edit = await engine.api('PUT', '/api/destinations/from-file', { url: target.url, events: ['*'] })
    expect(edit.status).toBe(409)
    expect(edit.json.error.message).toContain('defined in the config file')
    expect((await engine.api('DELETE', '/api/destinations/from-file')).status).toBe(409)

    const paused = await engine.api('POST', '/api/destinations/from-file/pause', {
      reason: 'maintenance window',
    })
    expect(paused.json).toMatchObject({ state: 'paused', stateReason: 'maintenance window' })
    const eventId = await engine.send()
    expect(await engine.drain()).toBe(0)
    expect(await engine.deliveries(eventId)).toMatchObject([{ state: 'pending' }])
    expect(target.requests).toHaveLength(0)

    expect((await engine.api('POST', '/api/destinations/from-file/resume')).json.state).toBe('active')
    expect(await engine.drain()).toBe(1)
    expect(target.requests).toHaveLength(1)
  })

  it('enabled: false creates no deliveries and cannot be resumed; enabling it through PUT can', async () => {
    const target = await sink()
    const engine = await open(kind)
    const doc = { id: 'off', url: target.url, events: ['*'], enabled: false }
    expect((await engine.api('POST', '/api/destinations', doc)).json.state).toBe('disabled')
    expect(await engine.deliveries(await engine.send())).toEqual([])
    expect((await engine.api('POST', '/api/destinations/off/resume')).status).toBe(409)
    expect((await engine.api('PUT', '/api/destinations/off', { ...doc, enabled: true })).json.state).toBe(
      'active',
    )
    expect(await engine.deliveries(await engine.send())).toMatchObject([{ subscriberId: 'off' }])
  })

  it('test-sends a catalog fixture or a stored event synchronously, without a delivery or a state change', async () => {
    const target = await sink((request) =>
      request.headers['x-gateway-event-type'] === 'opportunity.created'
        ? { status: 410 }
        : { status: 202, body: 'thanks' },
    )
    const engine = await open(kind)
    await engine.api('POST', '/api/destinations', { id: 'probe', url: target.url, events: ['contact.*'] })

    const fixture = await engine.api('POST', '/api/destinations/probe/test', {
      event: 'ContactCreate',
      data: { locationId: 'loc_test' },
    })
    expect(fixture.status).toBe(200)
    expect(fixture.json).toMatchObject({
      destination: 'probe',
      ok: true,
      verdict: 'success',
      message: `POST ${target.origin} 202 Accepted`,
      response: { status: 202, body: 'thanks' },
    })
    expect(target.requests[0]!.headers).toMatchObject({
      'x-gateway-delivery': 'test',
      'webhook-id': fixture.json.eventId,
    })
    expect(JSON.parse(target.requests[0]!.body.toString())).toMatchObject({
      name: 'ContactCreate',
      tenant: { locationId: 'loc_test' },
    })

    // A stored event of a type the destination does not subscribe to: sent anyway (it is a test),
    // and its 410 does not pause the destination.
    const eventId = await engine.send({ type: 'OpportunityCreate', id: 'opp_1' })
    const stored = await engine.api('POST', '/api/destinations/probe/test', { eventId })
    expect(stored.json).toMatchObject({
      eventId,
      ok: false,
      verdict: 'disable',
      errorClass: 'DestinationGone',
    })
    expect((await engine.api('GET', '/api/destinations/probe')).json.state).toBe('active')
    expect((await engine.api('GET', '/api/destinations/probe/deliveries')).json.data).toEqual([])

    expect((await engine.api('POST', '/api/destinations/probe/test', { eventId: 'evt_nope' })).status).toBe(
      404,
    )
    expect((await engine.api('POST', '/api/destinations/probe/test', { event: 'NoSuchEvent' })).status).toBe(
      400,
    )
  })

  it('lists a destination’s deliveries, paged; deleting one dead-letters its open deliveries', async () => {
    const target = await sink(() => ({ status: 500 }))
    const engine = await open(kind)
    await engine.api('POST', '/api/destinations', { id: 'failing', url: target.url, events: ['*'] })
    for (let i = 0; i < 3; i++) await engine.send()
    await engine.drain()
    const first = await engine.api('GET', '/api/destinations/failing/deliveries?limit=2')
    expect(first.json.data).toHaveLength(2)
    expect(first.json.data[0]).toMatchObject({
      state: 'retry_scheduled',
      attempts: 1,
      type: 'contact.created',
    })
    const second = await engine.api(
      'GET',
      `/api/destinations/failing/deliveries?limit=2&cursor=${first.json.nextCursor}`,
    )
    expect(second.json).toMatchObject({ nextCursor: null })
    expect(second.json.data).toHaveLength(1)

    expect((await engine.api('DELETE', '/api/destinations/failing')).json).toEqual({
      deleted: true,
      deadLettered: 3,
    })
    const dlq = (await engine.api('GET', '/api/dlq')).json.data
    expect(dlq).toHaveLength(3)
    expect(dlq[0].lastError).toBe('the destination failing was deleted')
    expect((await engine.api('GET', '/api/destinations/failing/deliveries')).status).toBe(404)
  })

  it('another process sharing the database picks up changes at its next reload', async () => {
    const target = await sink()
    const database = await sharedDatabase()
    const a = await open(kind, { database })
    const b = await open(kind, { database })
    await a.api('POST', '/api/destinations', { id: 'shared', url: target.url, events: ['*'] })
    expect(b.registry.has('shared')).toBe(false)
    await b.destinations.reload()
    expect(b.registry.get('shared')).toMatchObject({ kind: 'destination' })

    await a.api('POST', '/api/destinations/shared/pause')
    await b.destinations.reload()
    expect(b.destinations.runtime('shared')!.state).toBe('paused')
    const eventId = await b.send()
    expect(await b.drain()).toBe(0)

    await a.api('PUT', '/api/destinations/shared', { id: 'shared', url: `${target.url}/b`, events: ['*'] })
    await a.api('POST', '/api/destinations/shared/resume')
    await b.destinations.reload()
    expect(await b.drain()).toBe(1)
    expect(target.requests.map((r) => r.url)).toEqual(['/hook/b'])
    expect((await b.deliveries(eventId))[0]!.state).toBe('succeeded')

    await a.api('DELETE', '/api/destinations/shared')
    await b.destinations.reload()
    expect(b.registry.has('shared')).toBe(false)
  })

  /** Closes an engine before the test ends: a gateway process stopping cleanly. */
  const stop = async (engine: DestinationEngine) => {
    engines.splice(engines.indexOf(engine), 1)
    await engine.close()
  }
  const crmSync = (url: string) => ({
    id: 'crm-sync',
    url,
    events: ['*'],
    auth: { type: 'bearer' as const, token: 'file-secret' },
  })

  it('a destination missing from the config file at boot is kept, paused and flagged orphaned; nothing is dead-lettered; it comes back with the file', async () => {
    const target = await sink()
    const database = await sharedDatabase()
    const before = await open(kind, { database, configured: [crmSync(target.url)] })
    const first = await before.send()
    await stop(before)

    // Started from another directory: no config file.
    const after = await open(kind, { database })
    expect(await after.deliveries(first)).toMatchObject([{ subscriberId: 'crm-sync', state: 'pending' }])
    expect(await after.store.getDestination('crm-sync')).toMatchObject({
      origin: 'config',
      state: 'paused',
      stateReason: ORPHAN_REASON,
      orphanedAt: START,
    })
    const listed = (await after.api('GET', '/api/destinations')).json.data
    expect(listed).toMatchObject([
      { id: 'crm-sync', origin: 'config', state: 'paused', orphaned: true, openDeliveries: 1 },
    ])
    expect((await after.api('GET', '/api/destinations/crm-sync')).json).toMatchObject({
      orphaned: true,
      orphanedAt: new Date(START).toISOString(),
      stateReason: ORPHAN_REASON,
      process: { running: false },
    })
    const warning = after.logs.json().find((line) => line.destination === 'crm-sync')
    expect(warning).toMatchObject({ level: 40, openDeliveries: 1 })
    expect(warning!.msg).toMatch(
      /destination crm-sync is orphaned: not in this process's config file \(no config file\)/,
    )
    expect(warning!.msg).toContain('kept with its 1 open delivery')

    // New events still get deliveries; none is sent; it cannot be resumed or test-sent.
    const second = await after.send()
    expect(await after.deliveries(second)).toMatchObject([{ subscriberId: 'crm-sync', state: 'pending' }])
    expect(await after.drain()).toBe(0)
    const resumed = await after.api('POST', '/api/destinations/crm-sync/resume')
    expect(resumed.status).toBe(409)
    expect(resumed.json.error.message).toMatch(/is orphaned: no running gateway has it in its config file/)
    const tested = await after.api('POST', '/api/destinations/crm-sync/test', { event: 'ContactCreate' })
    expect(tested.status).toBe(409)
    expect(target.requests).toHaveLength(0)
    await stop(after)

    // Started with the file again: active, no longer orphaned, and both deliveries go out.
    const again = await open(kind, { database, configured: [crmSync(target.url)] })
    expect((await again.api('GET', '/api/destinations/crm-sync')).json).toMatchObject({
      state: 'active',
      stateReason: null,
      orphaned: false,
      orphanedAt: null,
      openDeliveries: 2,
    })
    expect(again.logs.text).toContain("destination crm-sync is in this process's config file again")
    expect(await again.drain()).toBe(2)
    expect(target.requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer file-secret',
      'Bearer file-secret',
    ])
  })

  it('an orphan paused by an operator stays paused when it comes back; deleting an orphan dead-letters its deliveries, logged', async () => {
    const database = await sharedDatabase()
    const url = 'https://crm.example/hook'
    const before = await open(kind, { database, configured: [crmSync(url)] })
    const eventId = await before.send()
    const live = await before.api('DELETE', '/api/destinations/crm-sync')
    expect(live.status).toBe(409)
    expect(live.json.error.message).toMatch(/remove it there and restart: it is then kept as an orphan/)
    await stop(before)

    const orphaned = await open(kind, { database })
    expect(
      (
        await orphaned.api('POST', '/api/destinations/crm-sync/pause', {
          reason: 'hold until the CRM migration',
        })
      ).json,
    ).toMatchObject({ state: 'paused', orphaned: true, stateReason: 'hold until the CRM migration' })
    await stop(orphaned)
    const back = await open(kind, { database, configured: [crmSync(url)] })
    expect(await back.store.getDestination('crm-sync')).toMatchObject({
      state: 'paused',
      stateReason: 'hold until the CRM migration',
      orphanedAt: null,
    })
    await stop(back)

    const cleanup = await open(kind, { database })
    expect((await cleanup.api('DELETE', '/api/destinations/crm-sync')).json).toEqual({
      deleted: true,
      deadLettered: 1,
    })
    expect(await cleanup.deliveries(eventId)).toMatchObject([
      {
        state: 'dead',
        lastError: expect.stringMatching(/^the destination crm-sync was deleted \(an orphan/),
      },
    ])
    expect(cleanup.logs.text).toContain(
      'destination crm-sync deleted through the admin API; 1 open deliveries moved to the dead-letter queue',
    )
    expect(cleanup.registry.has('crm-sync')).toBe(false)
    expect((await cleanup.api('GET', '/api/destinations')).json.data).toEqual([])
  })

  it('a process with another config file leaves a destination alone while a running process claims it; a crashed one’s claim lapses after 60 s', async () => {
    const target = await sink()
    const database = await sharedDatabase()
    const a = await open(kind, { database, configured: [crmSync(target.url)] })
    const b = await open(kind, { database })
    expect(await b.store.getDestination('crm-sync')).toMatchObject({ state: 'active', orphanedAt: null })
    expect(b.logs.text).toMatch(
      /destination crm-sync is not in this process's config file \(no config file\); another gateway process claimed it 0 s ago/,
    )
    expect(b.logs.text).not.toContain('orphaned:')

    // Both reload every 10 s: a renews its claim.
    for (let i = 0; i < 7; i++) {
      a.clock.advance(10_000)
      b.clock.advance(10_000)
      await a.destinations.reload()
      await b.destinations.reload()
    }
    expect((await b.store.getDestination('crm-sync'))!.orphanedAt).toBeNull()

    // a stops renewing (killed): 60 s later b orphans it, and says so.
    b.clock.advance(61_000)
    await b.destinations.reload()
    expect(await b.store.getDestination('crm-sync')).toMatchObject({
      state: 'paused',
      stateReason: ORPHAN_REASON,
    })
    expect(b.logs.text).toMatch(
      /destination crm-sync is orphaned: no running gateway has claimed it in its config file for 60 s/,
    )
    // A process with the file claims it back at its next reload.
    a.clock.advance(61_000)
    await a.destinations.reload()
    expect(await a.store.getDestination('crm-sync')).toMatchObject({ state: 'active', orphanedAt: null })
    expect(await a.drain()).toBe(0)
  })

  it('a gateway stopping cleanly does not orphan a destination another running gateway claimed after it', async () => {
    const database = await sharedDatabase()
    const url = 'https://crm.example/hook'
    const a = await open(kind, { database, configured: [crmSync(url)] })
    const c = await open(kind, { database, configured: [crmSync(url)] })
    const b = await open(kind, { database })
    c.clock.advance(1000)
    await c.destinations.reload()
    await stop(a)
    b.clock.advance(2000)
    await b.destinations.reload()
    expect(await b.store.getDestination('crm-sync')).toMatchObject({ state: 'active', orphanedAt: null })
    // The last one that had it stops: orphaned at b's next reload, not 60 s later.
    await stop(c)
    await b.destinations.reload()
    expect(await b.store.getDestination('crm-sync')).toMatchObject({
      state: 'paused',
      orphanedAt: START + 2000,
    })
  })

  it('an orphan is adopted by a PUT with its full definition: an API destination, with its deliveries', async () => {
    const target = await sink()
    const database = await sharedDatabase()
    const before = await open(kind, { database, configured: [crmSync(target.url)] })
    const eventId = await before.send()
    await stop(before)
    const after = await open(kind, { database })
    const redacted = (await after.api('GET', '/api/destinations/crm-sync')).json.definition
    // The database never had the file's secret: "***" cannot keep it.
    const kept = await after.api('PUT', '/api/destinations/crm-sync', redacted)
    expect(kept.status).toBe(400)
    expect(kept.json.error.message).toMatch(/auth.token: .*send the secret/)

    const adopted = await after.api('PUT', '/api/destinations/crm-sync', {
      ...redacted,
      auth: { type: 'bearer', token: 'new-secret' },
    })
    expect(adopted.json).toMatchObject({ origin: 'api', state: 'active', orphaned: false, openDeliveries: 1 })
    expect(await after.drain()).toBe(1)
    expect(target.requests.map((r) => r.headers.authorization)).toEqual(['Bearer new-secret'])
    expect((await after.deliveries(eventId))[0]!.state).toBe('succeeded')
  })
})
