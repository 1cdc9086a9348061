import { describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { createTypeMapper } from '../catalog/index.js'
import type { AttemptResult, ClaimedDelivery, StoredEvent } from '../store/types.js'
import { liveDelivery, liveEvent, matchesLive } from './live-stream.js'

describe('live stream messages', () => {
  const types = createTypeMapper({ 'contact.created': 'myapp.contact.ingested' })
  const untyped = sampleEvent({ source: 'shop', eventName: null, eventType: null, ghlType: null })

  it('carry the published type: renamed for GHL, <source>.event for an event with no type', () => {
    const accepted = { status: 'accepted', eventId: untyped.id, seq: 1 } as const
    expect(liveEvent(sampleEvent(), accepted, types).type).toBe('myapp.contact.ingested')
    const message = liveEvent(untyped, accepted, types)
    expect(message.type).toBe('shop.event')
    expect(matchesLive({ type: 'shop.*' }, message)).toBe(true)

    const { deliveries: _, ...columns } = untyped
    const event: StoredEvent = { ...columns, seq: 1, bodyBytes: 0, duplicateCount: 0, lastDuplicateAt: null }
    const delivery = { id: 'dlv_1', eventId: event.id, subscriberId: 'sub', event } as ClaimedDelivery
    const result: AttemptResult = {
      deliveryId: 'dlv_1',
      worker: 'w',
      next: { state: 'succeeded' },
      attempt: {
        ...{ id: 'att_1', number: 1, cycle: 0, startedAt: 0, durationMs: 1 },
        ...{ errorClass: null, errorMessage: null, errorStack: null, response: null },
      },
    }
    expect(liveDelivery(delivery, result, types).type).toBe('shop.event')
  })
})
