import { describe, expect, it } from 'vitest'
import { type Classification, classifyGhlBody } from './classify.js'
import { loadFixture } from './fixtures.js'
import { CATALOG, type GhlEventName } from './registry.js'

type Body = Record<string, unknown>
const fixture = (name: GhlEventName): Body => loadFixture(name) as Body
const without = (body: Body, ...keys: string[]): Body => {
  const copy = { ...body }
  for (const key of keys) delete copy[key]
  return copy
}

/** Events whose fixture is named without a URL hint: by `type`, or by a shape only one event has. */
const NAMED_WITHOUT_HINT = CATALOG.filter((e) => e.typeRole === 'event' || e.typeRole === 'channel')
  .map((e) => e.name as string)
  .concat(['VoiceAiCallEnd', 'PriceCreate'])

describe('every fixture', () => {
  it.each(CATALOG.map((e) => [e.name, e] as const))('%s parses and classifies back', (name, entry) => {
    const result = classifyGhlBody(loadFixture(name), { hint: name })
    expect(result.schema).toEqual({ status: 'valid', issues: [] })
    expect(result.name).toBe(name)
    expect(result.canonical).toBe(entry.canonical)
    expect(result.family).toBe(entry.category)
    expect(result.entity.kind).toBe(entry.entity.kind)
    expect(result.entity.id).toMatch(/^[A-Za-z0-9_-]{10,}$/)
    expect(result.tenant.locationId ?? result.tenant.companyId).toBeTruthy()
    expect(result.occurredAt).toMatch(/^2026-08-30T\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(result.webhookId).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.format).toBe(name === 'SaaSPlanCreate' ? 'array' : 'flat')
    expect(result.notes.filter((n) => !n.includes('classified by the first'))).toEqual([])
  })

  it.each(CATALOG.map((e) => [e.name] as const))('%s without a hint', (name) => {
    const result = classifyGhlBody(loadFixture(name))
    if (NAMED_WITHOUT_HINT.includes(name)) {
      expect(result.name).toBe(name)
      expect(result.matchedBy).toBe(name === 'VoiceAiCallEnd' || name === 'PriceCreate' ? 'shape' : 'type')
      expect(result.schema.status).toBe('valid')
    } else {
      // Invoice ×7, Product ×3, ObjectSchema ×2, Record ×3, Relation ×2, Association ×3, PriceUpdate/Delete.
      expect(result).toMatchObject({ name: 'unknown', canonical: 'unknown', matchedBy: 'none' })
      expect(result.family).toBe(CATALOG.find((e) => e.name === name)!.category)
      expect(result.entity.id).not.toBeNull()
      expect(result.notes.join(' ')).toMatch(/looks like an? [a-z-]+ event|price kind/)
    }
  })

  it('leaves the body untouched', () => {
    for (const entry of CATALOG) {
      const body = loadFixture(entry.name)
      const before = structuredClone(body)
      classifyGhlBody(body, { hint: entry.name })
      expect(body).toEqual(before)
    }
  })
})

describe('type values that are not the doc name', () => {
  it.each([
    ['INSTALL', 'AppInstall', 'app.installed'],
    ['UNINSTALL', 'AppUninstall', 'app.uninstalled'],
    ['UPDATE', 'AppUpdate', 'app.updated'],
    ['PLAN_CHANGE', 'PlanChange', 'app.plan_changed'],
    ['APP_PAYMENT_STATUS', 'AppPaymentStatus', 'app.payment_status_changed'],
    ['EXTERNAL_AUTH_CONNECTED', 'ExternalAuthConnected', 'app.external_auth_connected'],
    ['SaasPlanCreate', 'SaaSPlanCreate', 'saas_plan.created'],
    ['ConversationUnreadUpdate', 'ConversationUnreadWebhook', 'conversation.unread_changed'],
  ] as const)('%s → %s', (type, name, canonical) => {
    const body = fixture(name)
    const item = Array.isArray(body) ? (body[0] as Body) : body
    expect(item.type).toBe(type)
    expect(classifyGhlBody(body)).toMatchObject({ name, canonical, ghlType: type, matchedBy: 'type' })
  })

  it('matches case-sensitively and never by pattern', () => {
    for (const type of [
      'install',
      'Install',
      'SaaSPlanCreate',
      'ConversationUnreadWebhook',
      'Update',
      'update',
    ]) {
      const result = classifyGhlBody({ ...fixture('AppInstall'), type })
      expect(result).toMatchObject({ name: 'unknown', ghlType: type, matchedBy: 'none' })
    }
    // "UPDATE" is an app version change, whatever the rest of the body looks like.
    expect(classifyGhlBody({ ...fixture('ContactUpdate'), type: 'UPDATE' }).name).toBe('AppUpdate')
    // A plausible but non-existent event name is unknown, not a neighbour.
    expect(
      classifyGhlBody({ ...fixture('OpportunityStageUpdate'), type: 'OpportunityStageChange' }).name,
    ).toBe('unknown')
  })

  it('reads ProviderOutboundMessage from its channel type', () => {
    const sms = classifyGhlBody(fixture('ProviderOutboundMessage'))
    expect(sms).toMatchObject({
      name: 'ProviderOutboundMessage',
      ghlType: 'SMS',
      schema: { status: 'valid' },
    })
    const email = classifyGhlBody({
      type: 'Email',
      locationId: 've9EPM428h8vShlRW1KT',
      contactId: 'nmFmQEsNgz6AVpgLVUJ0',
      messageId: 'Ms6Tr9Ye2Wu5Iq8Oa1Sd',
      emailMessageId: '<a1@mg.example.com>',
      emailTo: ['james.whitaker@example.com'],
      emailFrom: 'Maria <maria@example.com>',
      html: '<p>Hi</p>',
      subject: 'Quote',
    })
    expect(email).toMatchObject({ name: 'ProviderOutboundMessage', canonical: 'message.provider_outbound' })
    expect(email.entity).toEqual({ kind: 'message', id: 'Ms6Tr9Ye2Wu5Iq8Oa1Sd' })
    expect(email.schema.status).toBe('valid')
  })
})

describe('prices: the top-level type is the price kind', () => {
  it('cannot tell PriceUpdate from PriceDelete without a hint, but names the family', () => {
    const result = classifyGhlBody(fixture('PriceUpdate'))
    expect(result).toMatchObject({
      name: 'unknown',
      canonical: 'unknown',
      ghlType: 'one_time',
      family: 'price',
    })
    expect(result.entity).toEqual({ kind: 'price', id: '66a1b2c3d4e5f60012a3b4d1' })
    expect(result.tenant).toEqual({ locationId: 've9EPM428h8vShlRW1KT' })
    expect(result.notes.join(' ')).toContain('/webhooks/ghl/PriceDelete')
  })

  it('uses the URL hint, for any price kind', () => {
    for (const type of ['one_time', 'recurring']) {
      const body = { ...fixture('PriceDelete'), type, recurring: { interval: 'month', intervalCount: 1 } }
      expect(classifyGhlBody(body, { hint: 'PriceDelete' })).toMatchObject({
        name: 'PriceDelete',
        canonical: 'price.deleted',
        matchedBy: 'hint',
        schema: { status: 'valid' },
      })
      expect(classifyGhlBody(body, { hint: 'PriceUpdate' }).name).toBe('PriceUpdate')
      expect(classifyGhlBody(body).family).toBe('price')
    }
  })

  it('names PriceCreate by shape: no type, kind in priceType', () => {
    expect(classifyGhlBody(fixture('PriceCreate'))).toMatchObject({ name: 'PriceCreate', matchedBy: 'shape' })
    // Same body with a type is not PriceCreate any more: the type names an unknown price kind.
    const withType = classifyGhlBody({ ...fixture('PriceCreate'), type: 'volume' })
    expect(withType).toMatchObject({ name: 'unknown', family: 'price', ghlType: 'volume' })
    // The hint still wins over a price-kind type if GHL ever sends one on PriceCreate.
    expect(
      classifyGhlBody({ ...fixture('PriceCreate'), type: 'one_time' }, { hint: 'PriceCreate' }).name,
    ).toBe('PriceCreate')
  })

  it('does not mistake an order for a price although its items carry price.type', () => {
    expect(classifyGhlBody(fixture('OrderCreate')).name).toBe('OrderCreate')
  })
})

describe('events documented without a type', () => {
  it('classify by the URL hint (doc name or canonical name)', () => {
    expect(classifyGhlBody(fixture('InvoicePaid'), { hint: 'InvoicePaid' })).toMatchObject({
      name: 'InvoicePaid',
      canonical: 'invoice.paid',
      matchedBy: 'hint',
    })
    expect(classifyGhlBody(fixture('InvoicePaid'), { hint: 'invoice.voided' }).name).toBe('InvoiceVoid')
  })

  it('note the family when only the shape is known', () => {
    const result = classifyGhlBody(fixture('InvoiceCreate'))
    expect(result.notes.join(' ')).toContain('looks like an invoice event')
    expect(result.entity).toEqual({ kind: 'invoice', id: '66d2f0a1b2c3d40012e5f6a7' })
    const record = classifyGhlBody(fixture('RecordCreate'))
    expect(record).toMatchObject({ name: 'unknown', family: 'record' })
    expect(record.notes.join(' ')).toContain('looks like a record event')
  })

  it('name VoiceAiCallEnd by shape only when the body has no type', () => {
    expect(classifyGhlBody(fixture('VoiceAiCallEnd')).name).toBe('VoiceAiCallEnd')
    const newEvent = classifyGhlBody({ ...fixture('VoiceAiCallEnd'), type: 'VoiceAiCallStart' })
    expect(newEvent).toMatchObject({ name: 'unknown', family: 'voice-ai', ghlType: 'VoiceAiCallStart' })
  })

  it('accept a type equal to the doc name, should GHL start sending one', () => {
    const result = classifyGhlBody({ ...fixture('InvoicePaid'), type: 'InvoicePaid' })
    expect(result).toMatchObject({ name: 'InvoicePaid', matchedBy: 'type', schema: { status: 'valid' } })
  })

  it('treat a record-type `type` as data when the hint names the event', () => {
    const body = { ...fixture('RecordUpdate'), type: 'custom_objects.pets' }
    expect(classifyGhlBody(body, { hint: 'RecordUpdate' })).toMatchObject({
      name: 'RecordUpdate',
      ghlType: 'custom_objects.pets',
      schema: { status: 'valid' },
    })
    expect(classifyGhlBody(body)).toMatchObject({ name: 'unknown', family: 'record' })
  })

  it('stay unknown when nothing is recognisable', () => {
    const result = classifyGhlBody({ id: 'abc123', locationId: 'loc1' })
    expect(result).toMatchObject({ name: 'unknown', family: null, entity: { kind: 'unknown', id: 'abc123' } })
    expect(result.notes).toContain('no type, no URL hint and no recognisable shape')
  })
})

describe('URL hints', () => {
  it('lose to a type that names one event, with a note', () => {
    const result = classifyGhlBody(fixture('AppointmentCreate'), { hint: 'AppointmentUpdate' })
    expect(result).toMatchObject({ name: 'AppointmentCreate', matchedBy: 'type' })
    expect(result.notes[0]).toContain('disagrees')
  })

  it('are ignored when they name no event, without echoing the path segment', () => {
    for (const hint of ['s3cr3t-token-value', 'constructor', '__proto__', '']) {
      const result = classifyGhlBody(fixture('InvoicePaid'), { hint })
      expect(result.name).toBe('unknown')
      expect(result.notes.join(' ')).toContain('URL hint is not a GHL event name')
      expect(result.notes.join(' ')).not.toContain('s3cr3t')
    }
  })

  it('classify a typed event whose body type is unknown, and report the drift', () => {
    const result = classifyGhlBody(
      { ...fixture('ContactCreate'), type: 'ContactCreated' },
      { hint: 'ContactCreate' },
    )
    expect(result).toMatchObject({ name: 'ContactCreate', matchedBy: 'hint', schema: { status: 'drift' } })
    expect(result.schema.issues.map((i) => i.path)).toEqual(['type'])
  })
})

describe('body formats', () => {
  it('classifies an array body by its first item and validates every item', () => {
    const plans = loadFixture('SaaSPlanCreate') as Body[]
    const second = { ...plans[0]!, planId: 42, webhookId: 'another' }
    const result = classifyGhlBody([...plans, second])
    expect(result).toMatchObject({ name: 'SaaSPlanCreate', format: 'array', webhookId: plans[0]!.webhookId })
    expect(result.entity).toEqual({ kind: 'saas_plan', id: '66c0a1b2c3d4e50012f3a901' })
    expect(result.tenant).toEqual({ companyId: '5DP4iH6HLkQsiKESj6rh' })
    expect(result.schema).toEqual({
      status: 'drift',
      issues: [{ path: '1.planId', message: 'Invalid input: expected string, received number' }],
    })
  })

  it('accepts SaaSPlanCreate as one object too', () => {
    const plan = (loadFixture('SaaSPlanCreate') as Body[])[0]!
    expect(classifyGhlBody(plan)).toMatchObject({
      name: 'SaaSPlanCreate',
      format: 'flat',
      schema: { status: 'valid' },
    })
  })

  it('returns unknown for empty arrays and arrays of non-objects', () => {
    expect(classifyGhlBody([])).toMatchObject({
      name: 'unknown',
      format: 'array',
      notes: ['empty array body'],
    })
    expect(classifyGhlBody([1, 2])).toMatchObject({ name: 'unknown', format: 'array' })
  })

  it('reads the Integration Guide test format {type, data: {...}}', () => {
    const { type, timestamp, webhookId, ...fields } = fixture('ContactCreate')
    const result = classifyGhlBody({ type, timestamp, webhookId, data: fields })
    expect(result).toMatchObject({
      name: 'ContactCreate',
      format: 'data-wrapped',
      entity: { kind: 'contact', id: 'nmFmQEsNgz6AVpgLVUJ0' },
      tenant: { locationId: 've9EPM428h8vShlRW1KT' },
      webhookId,
      schema: { status: 'valid', issues: [] },
    })
  })

  it('reads {data: {type, ...}} and hinted type-less bodies inside data', () => {
    const stage = classifyGhlBody({ data: fixture('OpportunityStageUpdate') })
    expect(stage).toMatchObject({
      name: 'OpportunityStageUpdate',
      format: 'data-wrapped',
      schema: { status: 'valid' },
    })
    expect(stage.entity.id).toBe('Op4Xw9Qe2Rt7Yu1Io6Pa')
    const invoice = classifyGhlBody({ data: fixture('InvoiceSent') }, { hint: 'InvoiceSent' })
    expect(invoice).toMatchObject({ name: 'InvoiceSent', tenant: { locationId: 've9EPM428h8vShlRW1KT' } })
  })

  it('keeps a flat body flat when it has payload keys beside a data field', () => {
    const result = classifyGhlBody({ type: 'Mystery', id: 'x1', data: { id: 'inner' } })
    expect(result).toMatchObject({ format: 'flat', entity: { id: 'x1' } })
  })
})

describe('tenant', () => {
  it('is the agency for LocationCreate/Update; the location is the entity', () => {
    const result = classifyGhlBody(fixture('LocationCreate'))
    expect(result.tenant).toEqual({ companyId: '5DP4iH6HLkQsiKESj6rh' })
    expect(result.entity).toEqual({ kind: 'location', id: 'Xq3mT7bN1cWd9LpA2kRz' })
  })

  it('carries both ids for a sub-account install and the agency for an agency install', () => {
    expect(classifyGhlBody(fixture('AppInstall')).tenant).toEqual({
      locationId: 've9EPM428h8vShlRW1KT',
      companyId: '5DP4iH6HLkQsiKESj6rh',
    })
    const agency = classifyGhlBody({
      type: 'INSTALL',
      appId: '66b3f1c2e4a5d60012a7c3e9',
      companyId: '5DP4iH6HLkQsiKESj6rh',
      planId: 'p1',
      trial: {},
    })
    expect(agency).toMatchObject({ name: 'AppInstall', tenant: { companyId: '5DP4iH6HLkQsiKESj6rh' } })
    expect(agency.tenant.locationId).toBeUndefined()
    expect(agency.notes).toEqual([])
  })

  it('uses companyId for agency uninstalls and agency users', () => {
    const uninstall = classifyGhlBody({ type: 'UNINSTALL', appId: 'a1', companyId: 'c1' })
    expect(uninstall.tenant).toEqual({ companyId: 'c1' })
    const user = classifyGhlBody({ ...without(fixture('UserCreate'), 'locationId'), companyId: 'c1' })
    expect(user.tenant).toEqual({ companyId: 'c1' })
  })

  it('uses altId when altType is location, and notes when it is not', () => {
    expect(classifyGhlBody(fixture('InvoicePaid'), { hint: 'InvoicePaid' }).tenant).toEqual({
      locationId: 've9EPM428h8vShlRW1KT',
    })
    const other = classifyGhlBody({ ...fixture('InvoicePaid'), altType: 'company' }, { hint: 'InvoicePaid' })
    expect(other.tenant).toEqual({})
    expect(other.notes.join(' ')).toContain('no location id')
  })

  it('prefers locationId over altId for orders', () => {
    const result = classifyGhlBody({ ...fixture('OrderCreate'), altId: 'someOtherLocation' })
    expect(result.tenant).toEqual({ locationId: 've9EPM428h8vShlRW1KT' })
  })

  it('finds the location inside appointment when the top level lacks it', () => {
    const body = fixture('AppointmentCreate')
    const nested = {
      ...without(body, 'locationId'),
      appointment: { ...(body.appointment as Body), locationId: 'L9' },
    }
    expect(classifyGhlBody(nested).tenant).toEqual({ locationId: 'L9' })
  })
})

describe('entity and time', () => {
  it('reads nested entity ids', () => {
    expect(classifyGhlBody(fixture('AppointmentUpdate')).entity).toEqual({
      kind: 'appointment',
      id: 'Ap8Lk3Jh6Gf1Ds4Az9Xc',
    })
    expect(classifyGhlBody(fixture('LCEmailStats')).entity).toEqual({
      kind: 'email_event',
      id: 'q9Xb3LmZR7yTfW2sKp4Vna',
    })
    expect(classifyGhlBody(fixture('ConversationUpdate')).entity.id).toBe('Cv1Qa4Ws7Ed2Rf5Tg8Yh')
  })

  it('prefers the body timestamp, then the event’s own date fields, normalised to UTC', () => {
    const create = without(fixture('ContactCreate'), 'timestamp')
    expect(classifyGhlBody(create).occurredAt).toBe('2026-08-30T13:41:27.118Z')
    // dateAdded is the contact's creation time: never the time of an update.
    expect(classifyGhlBody(without(fixture('ContactUpdate'), 'timestamp')).occurredAt).toBeNull()
    const appointment = without(fixture('AppointmentUpdate'), 'timestamp')
    expect(classifyGhlBody(appointment).occurredAt).toBe('2026-08-30T14:45:03.000Z')
    const stats = without(fixture('LCEmailStats'), 'timestamp')
    expect(classifyGhlBody(stats).occurredAt).toBe(new Date(1788100508621).toISOString())
    const garbage = { ...fixture('ContactCreate'), timestamp: 'yesterday' }
    expect(classifyGhlBody(garbage).occurredAt).toBe('2026-08-30T13:41:27.118Z')
  })
})

describe('unknown types', () => {
  it('keep the raw type and extract what they can', () => {
    const result = classifyGhlBody({
      type: 'ContactMerge',
      id: 'c1',
      locationId: 'L1',
      companyId: 'C1',
      timestamp: '2026-08-30T10:00:00Z',
      webhookId: 'w1',
    })
    expect(result).toEqual<Classification>({
      name: 'unknown',
      canonical: 'unknown',
      ghlType: 'ContactMerge',
      family: null,
      entity: { kind: 'unknown', id: 'c1' },
      tenant: { locationId: 'L1', companyId: 'C1' },
      occurredAt: '2026-08-30T10:00:00.000Z',
      sentAt: '2026-08-30T10:00:00.000Z',
      webhookId: 'w1',
      format: 'flat',
      matchedBy: 'none',
      schema: { status: 'unknown', issues: [] },
      notes: ['unknown type "ContactMerge"'],
    })
    expect(classifyGhlBody({ type: 'X', _id: 'm1' }).entity.id).toBe('m1')
  })

  it('note a non-string type', () => {
    const result = classifyGhlBody({ type: 7, id: 'x' })
    expect(result).toMatchObject({ ghlType: null, name: 'unknown' })
    expect(result.notes).toContain('`type` is not a string')
  })
})

describe('schema drift', () => {
  it('reports wrong field types but still classifies fully', () => {
    const result = classifyGhlBody({ ...fixture('ContactCreate'), tags: 'vip' })
    expect(result).toMatchObject({
      name: 'ContactCreate',
      canonical: 'contact.created',
      entity: { kind: 'contact', id: 'nmFmQEsNgz6AVpgLVUJ0' },
      tenant: { locationId: 've9EPM428h8vShlRW1KT' },
      schema: {
        status: 'drift',
        issues: [{ path: 'tags', message: 'Invalid input: expected array, received string' }],
      },
    })
  })

  it('reports a missing entity id', () => {
    const result = classifyGhlBody(without(fixture('OpportunityStageUpdate'), 'id'))
    expect(result).toMatchObject({
      name: 'OpportunityStageUpdate',
      entity: { id: null },
      schema: { status: 'drift' },
    })
    expect(result.schema.issues[0]?.path).toBe('id')
    const appointment = fixture('AppointmentDelete')
    const noId = { ...appointment, appointment: without(appointment.appointment as Body, 'id') }
    expect(classifyGhlBody(noId).schema.issues.map((i) => i.path)).toEqual(['appointment.id'])
  })

  it('tolerates what GHL is known to send: nulls, missing fields, extra fields', () => {
    const opportunity = {
      ...without(fixture('OpportunityCreate'), 'monetaryValue', 'source'),
      assignedTo: null,
    }
    expect(classifyGhlBody(opportunity).schema.status).toBe('valid')
    expect(classifyGhlBody(without(fixture('TaskCreate'), 'contactId', 'body')).schema.status).toBe('valid')
    const email = { ...fixture('InboundMessage'), to: ['a@example.com'], brandNewField: { x: 1 } }
    expect(classifyGhlBody(email).schema.status).toBe('valid')
    const nulls = Object.fromEntries(Object.entries(fixture('ContactUpdate')).map(([k, v]) => [k, v]))
    for (const key of ['firstName', 'email', 'tags', 'customFields', 'dnd', 'dateAdded']) nulls[key] = null
    expect(classifyGhlBody(nulls).schema.status).toBe('valid')
  })

  it('caps the number of issues', () => {
    const plans = Array.from({ length: 100 }, () => ({ type: 'SaasPlanCreate', planId: 1 }))
    expect(classifyGhlBody(plans).schema.issues).toHaveLength(20)
  })
})

describe('never throws', () => {
  const check = (body: unknown, hint?: string) => {
    const result = classifyGhlBody(body, hint === undefined ? {} : { hint })
    expect(['unknown', ...CATALOG.map((e) => e.name)]).toContain(result.name)
    expect(['flat', 'data-wrapped', 'array']).toContain(result.format)
    expect(['valid', 'drift', 'unknown']).toContain(result.schema.status)
    return result
  }

  it('for scalars, deep nesting, huge bodies and prototype keys', () => {
    for (const body of [null, undefined, 0, -1, Number.NaN, '', 'INSTALL', true, Symbol('x'), 10n, () => 1])
      check(body)
    let deep: unknown = { type: 'ContactCreate', id: 'x' }
    for (let i = 0; i < 10_000; i++) deep = { data: deep, appointment: deep }
    check(deep)
    check(Array.from({ length: 100_000 }, (_, i) => ({ type: 'SaasPlanCreate', planId: `p${i}` })))
    check({ type: 'ContactCreate', id: 'x', tags: Array.from({ length: 100_000 }, () => 1) })
    check({ type: 'x'.repeat(1_000_000), locationId: 'y'.repeat(1_000_000) })
    check(
      JSON.parse(
        '{"__proto__": {"type": "INSTALL", "appId": "a"}, "constructor": 1, "data": {"__proto__": 1}}',
      ),
    )
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom')
        },
        ownKeys: () => {
          throw new Error('boom')
        },
        getOwnPropertyDescriptor: () => {
          throw new Error('boom')
        },
      },
    )
    expect(check(hostile).notes[0]).toContain('classifier failed')
  })

  it('for random junk (seeded)', () => {
    let seed = 0x9e3779b9
    const random = () => {
      // mulberry32: deterministic, so a failure reproduces.
      seed = (seed + 0x6d2b79f5) | 0
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
    const types = CATALOG.flatMap((e) => [...e.typeValues, e.name]).concat([
      'one_time',
      'recurring',
      'UPDATE',
      '',
    ])
    const keys = [
      'type',
      'data',
      'id',
      '_id',
      'appointment',
      'webhookPayload',
      'locationId',
      'companyId',
      'altId',
      'altType',
      'timestamp',
      'webhookId',
      'priceType',
      'product',
      'amount',
      'executedCallActions',
      'agentId',
      'transcript',
      'invoiceNumber',
      'properties',
      'owners',
      'firstRecordId',
      'secondRecordId',
      'tags',
      'planId',
      '__proto__',
    ]
    const value = (depth: number): unknown => {
      switch (Math.floor(random() * (depth > 3 ? 6 : 9))) {
        case 0:
          return null
        case 1:
          return random() * 1e13 - 1e6
        case 2:
          return pick(types)
        case 3:
          return pick(['location', '2026-08-30T10:00:00Z', 'not a date', 'x'])
        case 4:
          return random() < 0.5
        case 5:
          return undefined
        case 6:
          return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1))
        default: {
          const object: Record<string, unknown> = {}
          for (let i = Math.floor(random() * 8); i > 0; i--) object[pick(keys)] = value(depth + 1)
          return object
        }
      }
    }
    const hints = [undefined, 'InvoicePaid', 'PriceDelete', 'contact.created', 'nope']
    for (let i = 0; i < 5_000; i++) check(value(0), pick(hints))
  })
})
