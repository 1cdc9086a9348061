import { describe, expect, it } from 'vitest'
import { publishedType, storedTypesOf } from './published-type.js'
import { createTypeMapper } from './rename.js'

describe('publishedType', () => {
  const types = createTypeMapper({ 'contact.created': 'myapp.contact.ingested', unknown: 'ghl.unrecognised' })

  it('is the canonical name after renames for GHL events, unknown ones included', () => {
    const ghl = { source: 'ghl', eventName: 'ContactCreate', eventType: 'contact.created' }
    expect(publishedType(ghl, types)).toBe('myapp.contact.ingested')
    expect(publishedType({ ...ghl, eventType: 'contact.deleted' }, types)).toBe('contact.deleted')
    expect(publishedType({ ...ghl, eventName: 'unknown', eventType: 'unknown' }, types)).toBe(
      'ghl.unrecognised',
    )
  })

  it("is another source's own type as sent, never renamed", () => {
    // A source may send a type that happens to be a canonical GHL name: renames are for GHL events.
    expect(publishedType({ source: 'shop', eventName: null, eventType: 'contact.created' }, types)).toBe(
      'contact.created',
    )
  })

  it('is <source>.event, never null, for an event with no type', () => {
    expect(publishedType({ source: 'shop', eventName: null, eventType: null }, types)).toBe('shop.event')
  })
})

describe('storedTypesOf', () => {
  const types = createTypeMapper({ 'contact.created': 'myapp.contact', 'contact.updated': 'myapp.contact' })

  it('is every canonical name renamed to the type, else the type as written', () => {
    expect(storedTypesOf('myapp.contact', types)).toEqual(['contact.created', 'contact.updated'])
    expect(storedTypesOf('contact.deleted', types)).toEqual(['contact.deleted'])
    expect(storedTypesOf('order.paid', types)).toEqual(['order.paid'])
  })
})
