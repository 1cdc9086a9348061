import { describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { type AnyGhlEvent, createTypeMapper, loadFixture } from '../catalog/index.js'
import { classifyGhl } from '../receive/classify-event.js'
import type { StoredEvent } from '../store/types.js'
import { envelopeOf } from './envelope.js'

/** A stored event as ingest would have written it for `body`. */
function stored(body: unknown): StoredEvent {
  const { fields, webhookId } = classifyGhl(body, undefined, [])
  const { deliveries: _, ...event } = sampleEvent({
    rawBody: Buffer.from(JSON.stringify(body)),
    ...fields,
    webhookId,
  })
  return {
    ...event,
    receivedAt: 1788100000000,
    seq: 1,
    bodyBytes: event.rawBody.length,
    duplicateCount: 0,
    lastDuplicateAt: null,
  }
}

describe('envelopeOf', () => {
  const body = loadFixture('OpportunityStageUpdate')

  it('puts the stored classification beside the original body', () => {
    const event = stored(body)
    const envelope = envelopeOf(event, createTypeMapper())
    expect(envelope).toMatchObject({
      id: event.id,
      source: 'ghl',
      type: 'opportunity.stage_changed',
      ghlType: 'OpportunityStageUpdate',
      name: 'OpportunityStageUpdate',
      tenant: { locationId: 've9EPM428h8vShlRW1KT' },
      entity: { kind: 'opportunity', id: 'Op4Xw9Qe2Rt7Yu1Io6Pa' },
      receivedAt: new Date(1788100000000).toISOString(),
    })
    expect(envelope.tenant).not.toHaveProperty('companyId')
    expect(envelope.occurredAt).toMatch(/^2026-08-30T/)
    expect(envelope.webhookId).toMatch(/^[0-9a-f-]{36}$/)
    expect(envelope.data).toEqual(body)
    if (envelope.name === 'OpportunityStageUpdate')
      expect(envelope.data.pipelineStageId).toBe('b3a1c9e2-5d47-4f8a-9c61-2e0d7f4b8a35')
  })

  it('applies renames to the type and keeps unknown events unknown', () => {
    const types = createTypeMapper({
      'opportunity.stage_changed': 'crm.deal.moved',
      unknown: 'ghl.unrecognised',
    })
    expect(envelopeOf(stored(body), types).type).toBe('crm.deal.moved')
    const unknown: AnyGhlEvent = envelopeOf(stored({ type: 'New' }), types)
    expect(unknown).toMatchObject({
      name: 'unknown',
      type: 'ghl.unrecognised',
      ghlType: 'New',
      entity: { kind: 'unknown', id: null },
      data: { type: 'New' },
    })
  })
})
