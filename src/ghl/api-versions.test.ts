import { describe, expect, it } from 'vitest'
import { ghlVersionFor } from './api-versions.js'

describe('ghlVersionFor', () => {
  it('picks 2021-04-15 for calendars and conversations, 2021-07-28 for contacts and opportunities', () => {
    expect(ghlVersionFor('GET', '/calendars/events?locationId=x')).toBe('2021-04-15')
    expect(ghlVersionFor('post', '/conversations/messages')).toBe('2021-04-15')
    expect(ghlVersionFor('POST', '/contacts/abc/notes')).toBe('2021-07-28')
    expect(ghlVersionFor('PUT', '/opportunities/o1/status')).toBe('2021-07-28')
    expect(ghlVersionFor('GET', '/users/')).toBe('2021-07-28')
  })

  it('knows the one operation that differs from its segment', () => {
    expect(ghlVersionFor('GET', '/links/search')).toBe('2021-04-15')
    expect(ghlVersionFor('GET', '/links/')).toBe('2021-07-28')
  })
})
