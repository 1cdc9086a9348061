import { describe, expect, it } from 'vitest'
import { createTypeMapper } from './rename.js'

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
