import { describe, expect, it } from 'vitest'
import { classifyGhlBody } from './classify.js'
import { type AnyGhlEvent, toEnvelope } from './envelope.js'
import { loadFixture } from './fixtures.js'
import { createTypeMapper } from './rename.js'

describe('toEnvelope', () => {
  const body = loadFixture('OpportunityStageUpdate')
  const stored = { id: 'evt_01JD3ZQ8X5V6W7Y8Z9A0B1C2D3', source: 'ghl', receivedAt: 1788100000000, body }

  it('puts the classification beside the original body', () => {
    const event = toEnvelope(stored, classifyGhlBody(body))
    expect(event).toMatchObject({
      id: stored.id,
      source: 'ghl',
      type: 'opportunity.stage_changed',
      ghlType: 'OpportunityStageUpdate',
      name: 'OpportunityStageUpdate',
      tenant: { locationId: 've9EPM428h8vShlRW1KT' },
      entity: { kind: 'opportunity', id: 'Op4Xw9Qe2Rt7Yu1Io6Pa' },
      receivedAt: new Date(1788100000000).toISOString(),
    })
    expect(event.occurredAt).toMatch(/^2026-08-30T/)
    expect(event.webhookId).toMatch(/^[0-9a-f-]{36}$/)
    expect(event.data).toBe(body)
    if (event.name === 'OpportunityStageUpdate')
      expect(event.data.pipelineStageId).toBe('b3a1c9e2-5d47-4f8a-9c61-2e0d7f4b8a35')
  })

  it('accepts Date and ISO receive times and rejects invalid ones', () => {
    const classification = classifyGhlBody(body)
    const at = '2026-08-30T12:00:00.000Z'
    expect(toEnvelope({ ...stored, receivedAt: new Date(at) }, classification).receivedAt).toBe(at)
    expect(
      toEnvelope({ ...stored, receivedAt: '2026-08-30T14:00:00+02:00' }, classification).receivedAt,
    ).toBe(at)
    expect(() => toEnvelope({ ...stored, receivedAt: 'soon' }, classification)).toThrow(RangeError)
  })

  it('applies renames to the type and keeps unknown events unknown', () => {
    const mapper = createTypeMapper({
      'opportunity.stage_changed': 'crm.deal.moved',
      unknown: 'ghl.unrecognised',
    })
    expect(toEnvelope(stored, classifyGhlBody(body), mapper).type).toBe('crm.deal.moved')
    const unknown: AnyGhlEvent = toEnvelope(
      { ...stored, body: { type: 'New' } },
      classifyGhlBody({ type: 'New' }),
      mapper,
    )
    expect(unknown).toMatchObject({
      name: 'unknown',
      type: 'ghl.unrecognised',
      ghlType: 'New',
      entity: { id: null },
    })
  })

  it('copies tenant and entity so the envelope does not share them with the classification', () => {
    const classification = classifyGhlBody(body)
    const event = toEnvelope(stored, classification)
    event.tenant.locationId = 'changed'
    expect(classification.tenant.locationId).toBe('ve9EPM428h8vShlRW1KT')
  })
})

describe('createTypeMapper', () => {
  it('maps canonical names to user types and back', () => {
    const mapper = createTypeMapper({
      'contact.created': 'myapp.contact.upserted',
      'contact.updated': 'myapp.contact.upserted',
      'invoice.paid': 'billing/invoice:paid',
    })
    expect(mapper.toType('contact.created')).toBe('myapp.contact.upserted')
    expect(mapper.toType('contact.deleted')).toBe('contact.deleted')
    expect(mapper.toType('unknown')).toBe('unknown')
    expect(mapper.toCanonical('myapp.contact.upserted')).toEqual(['contact.created', 'contact.updated'])
    expect(mapper.toCanonical('contact.deleted')).toEqual(['contact.deleted'])
    expect(mapper.toCanonical('contact.created')).toEqual([])
    expect(mapper.renames).toEqual({
      'contact.created': 'myapp.contact.upserted',
      'contact.updated': 'myapp.contact.upserted',
      'invoice.paid': 'billing/invoice:paid',
    })
  })

  it('is the identity without renames', () => {
    expect(createTypeMapper().toType('task.completed')).toBe('task.completed')
  })

  it('rejects a key that is not a canonical name, suggesting the nearest', () => {
    expect(() => createTypeMapper({ 'contact.create': 'x.y' })).toThrow(
      /"contact\.create" is not a canonical GHL event name; did you mean "contact\.created"/,
    )
    expect(() => createTypeMapper({ ContactCreate: 'x.y' })).toThrow(/not a canonical GHL event name/)
    expect(() => createTypeMapper({ constructor: 'x.y' })).toThrow(/not a canonical GHL event name/)
  })

  it('rejects unusable new names and names that collide with another event', () => {
    expect(() => createTypeMapper({ 'contact.created': '' })).toThrow(/1–128 characters/)
    expect(() => createTypeMapper({ 'contact.created': 'has space' })).toThrow(/1–128 characters/)
    expect(() => createTypeMapper({ 'contact.created': 42 as unknown as string })).toThrow(/got 42/)
    expect(() => createTypeMapper({ 'contact.created': 'contact.updated' })).toThrow(
      /another event's canonical name/,
    )
    expect(createTypeMapper({ 'contact.created': 'contact.created' }).toType('contact.created')).toBe(
      'contact.created',
    )
  })
})
