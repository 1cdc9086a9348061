import { describe, expect, it } from 'vitest'
import type { MatchableEvent } from '../dispatch/subscribers.js'
import type { NewEvent } from '../store/types.js'
import { compileFilter } from './filter.js'
import type { DestinationFilter } from './filter-schema.js'

const event = (body: unknown, overrides: Partial<NewEvent> = {}): MatchableEvent => ({
  source: 'ghl',
  type: 'contact.created',
  body,
  event: {
    id: 'evt_1',
    eventName: 'ContactCreate',
    eventType: 'contact.created',
    ghlType: 'ContactCreate',
    locationId: 'loc_1',
    companyId: null,
    entityKind: 'contact',
    entityId: 'c_1',
    webhookId: 'wh_1',
    receivedAt: 0,
    occurredAt: null,
    ...overrides,
  } as NewEvent,
})

const body = {
  tags: ['vip', 'b2b'],
  email: 'a@b.co',
  score: 42,
  amount: '19.90',
  note: null,
  contact: { city: 'Oslo' },
}

describe('compileFilter', () => {
  it('has no predicate without a filter', () => {
    expect(compileFilter(undefined)).toBeUndefined()
    expect(compileFilter({})).toBeUndefined()
  })
  it.each<[DestinationFilter, boolean]>([
    [{ locationId: ['loc_1', 'loc_2'] }, true],
    [{ locationId: 'loc_1' }, true],
    [{ locationId: ['loc_9'] }, false],
    [{ companyId: ['co_1'] }, false],
    [{ 'tenant.locationId': 'loc_1' }, true],
    [{ 'data.tags': { contains: 'vip' } }, true],
    [{ 'data.tags': { contains: 'vi' } }, false],
    [{ 'data.email': { contains: '@b.co' } }, true],
    [{ 'data.email': 'a@b.co' }, true],
    [{ 'data.email': { equals: 'A@B.CO' } }, false],
    [{ 'data.score': 42 }, true],
    [{ 'data.score': '42' }, false],
    [{ 'data.score': { in: [1, 42] } }, true],
    [{ 'data.score': [1, 2] }, false],
    [{ 'data.score': { gt: 41, lte: 42 } }, true],
    [{ 'data.score': { gt: 42 } }, false],
    [{ 'data.amount': { gte: 19.9, lt: 20 } }, true],
    [{ 'data.email': { gt: 1 } }, false],
    [{ 'data.missing': { lt: 100 } }, false],
    [{ 'data.note': { exists: true } }, false],
    [{ 'data.note': { exists: false } }, true],
    [{ 'data.missing': { exists: false } }, true],
    [{ 'data.email': { exists: true } }, true],
    [{ 'data.note': null }, true],
    [{ 'data.contact.city': 'Oslo' }, true],
    [{ 'data.tags.0': 'vip' }, true],
    [{ 'data.constructor': { exists: true } }, false],
    [{ type: 'contact.created', name: 'ContactCreate', source: 'ghl' }, true],
    [{ 'entity.kind': 'contact', 'entity.id': { exists: true } }, true],
    [{ ghlType: ['ContactCreate'], webhookId: 'wh_2' }, false],
    [{ locationId: ['loc_1'], 'data.tags': { contains: 'vip' }, 'data.score': { lt: 10 } }, false],
  ])('%j → %s', (filter, expected) => {
    expect(compileFilter(filter)!(event(body))).toBe(expected)
  })
  it('a missing tenant matches no tenant filter', () => {
    expect(compileFilter({ locationId: ['loc_1'] })!(event(body, { locationId: null }))).toBe(false)
  })
  it('reads bodies that are not objects without crashing', () => {
    for (const b of [null, 'text', 42, [1, 2]])
      expect(compileFilter({ 'data.x': { exists: true } })!(event(b))).toBe(false)
  })
})
