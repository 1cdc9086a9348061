import { describe, expect, it } from 'vitest'
import { ghlEnvelopeFields, timestampText } from './ghl-envelope.js'

describe('ghlEnvelopeFields', () => {
  it('reads the flat envelope', () => {
    expect(
      ghlEnvelopeFields({
        type: 'ContactCreate',
        locationId: 'loc',
        webhookId: 'w-1',
        timestamp: '2025-11-07T12:46:45.953Z',
      }),
    ).toEqual({
      webhookId: 'w-1',
      ghlType: 'ContactCreate',
      locationId: 'loc',
      companyId: null,
      sentAt: '2025-11-07T12:46:45.953Z',
      flags: [],
    })
  })

  it('resolves the tenant in order: locationId, altId when altType is location, companyId', () => {
    expect(ghlEnvelopeFields({ altId: 'l1', altType: 'location', companyId: 'c' })).toMatchObject({
      locationId: 'l1',
      companyId: 'c',
    })
    expect(ghlEnvelopeFields({ altId: 'x', altType: 'company', companyId: 'c' })).toMatchObject({
      locationId: null,
      companyId: 'c',
    })
    expect(ghlEnvelopeFields({ locationId: 'l', altId: 'x', altType: 'location' }).locationId).toBe('l')
  })

  it('reads the first element of an array body and fields inside a data wrapper', () => {
    expect(ghlEnvelopeFields([{ type: 'SaasPlanCreate', companyId: 'c' }, {}])).toMatchObject({
      ghlType: 'SaasPlanCreate',
    })
    expect(ghlEnvelopeFields({ type: 'T', data: { locationId: 'inner', webhookId: 'w' } })).toMatchObject({
      locationId: 'inner',
      webhookId: 'w',
    })
    expect(ghlEnvelopeFields([]).ghlType).toBeNull()
  })

  it('refuses ids it cannot index and says so in flags', () => {
    const fields = ghlEnvelopeFields({ webhookId: 'a b', locationId: 42, type: 'x'.repeat(300) })
    expect(fields).toMatchObject({ webhookId: null, locationId: null, ghlType: null })
    expect(fields.flags).toEqual(['invalid_webhook_id', 'invalid_type', 'invalid_location_id'])
  })

  it('never throws on junk', () => {
    for (const junk of [null, 1, 'x', true, [], [null], { data: null }, { timestamp: {} }]) {
      expect(() => ghlEnvelopeFields(junk)).not.toThrow()
    }
  })
})

describe('timestampText', () => {
  it('normalises ISO text and epoch seconds or milliseconds', () => {
    expect(timestampText('2025-11-07T12:46:45.953Z')).toBe('2025-11-07T12:46:45.953Z')
    expect(timestampText(1_700_000_000)).toBe('2023-11-14T22:13:20.000Z')
    expect(timestampText(1_700_000_000_123)).toBe('2023-11-14T22:13:20.123Z')
    expect(timestampText('not a date')).toBeNull()
    expect(timestampText(Number.MAX_VALUE)).toBeNull()
  })
})
