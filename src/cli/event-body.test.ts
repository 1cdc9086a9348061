import { describe, expect, it } from 'vitest'
import { byName } from '../catalog/index.js'
import {
  applyEdits,
  buildEventBody,
  needsPerEventUrl,
  parseFieldEdit,
  perEventUrl,
  resolveEvent,
} from './event-body.js'

describe('send: event names, per-event URLs and --set', () => {
  it('resolves doc names, canonical names and other cases, and suggests near misses', () => {
    expect(resolveEvent('ContactCreate').name).toBe('ContactCreate')
    expect(resolveEvent('contact.created').name).toBe('ContactCreate')
    expect(resolveEvent('contactcreate').name).toBe('ContactCreate')
    expect(() => resolveEvent('ContactCreat')).toThrow(/did you mean "ContactCreate"\?/)
  })

  it('sends events whose body does not name them to /<EventName>', () => {
    const base = new URL('http://127.0.0.1:3000/webhooks/ghl/')
    expect(perEventUrl(base, byName('InvoicePaid')).href).toBe(
      'http://127.0.0.1:3000/webhooks/ghl/InvoicePaid',
    )
    expect(perEventUrl(base, byName('PriceUpdate')).pathname).toBe('/webhooks/ghl/PriceUpdate')
    expect(perEventUrl(base, byName('ContactCreate'))).toBe(base)
    expect(needsPerEventUrl(byName('ProviderOutboundMessage'))).toBe(false)
  })

  it('--set parses JSON values, keeps other text, creates nested objects, and refuses prototype keys', () => {
    expect(parseFieldEdit('a.b=42')).toEqual({ path: ['a', 'b'], value: 42 })
    expect(parseFieldEdit('tags=["x"]').value).toEqual(['x'])
    expect(parseFieldEdit('phone=+15125550100').value).toBe('+15125550100')
    expect(parseFieldEdit('note=a=b').value).toBe('a=b')
    expect(() => parseFieldEdit('__proto__.x=1')).toThrow(/dotted field path/)
    expect(() => parseFieldEdit('novalue')).toThrow(/field=value/)
    const body = applyEdits({ a: { keep: 1 }, list: [{ v: 1 }] }, [
      parseFieldEdit('a.b.c=true'),
      parseFieldEdit('list.0.v=2'),
    ])
    expect(body).toEqual({ a: { keep: 1, b: { c: true } }, list: [{ v: 2 }] })
    const array = applyEdits([{ x: 1 }, { x: 2 }], [parseFieldEdit('x=3')])
    expect(array).toEqual([{ x: 3 }, { x: 3 }])
  })

  it('builds the catalog fixture with a fresh webhookId each time', () => {
    const entry = byName('ContactCreate')
    const a = JSON.parse(buildEventBody(entry).toString())
    const b = JSON.parse(buildEventBody(entry, [parseFieldEdit('email=x@example.com')]).toString())
    expect(a.type).toBe('ContactCreate')
    expect(a.webhookId).not.toBe(b.webhookId)
    expect(b.email).toBe('x@example.com')
  })
})
