import { describe, expect, it } from 'vitest'
import { diffBodies, preview } from './body-diff.js'

describe('diffBodies', () => {
  it('lists added, removed and changed fields with nested paths, old and new values as JSON text', () => {
    const diff = diffBodies(
      { id: 'c1', email: 'a@x.io', address: { city: 'Paris', zip: '75001' }, dnd: false },
      { id: 'c1', email: 'b@x.io', address: { city: 'Lyon' }, dnd: false, phone: '+33 1' },
    )
    expect(diff.changes).toEqual([
      { path: 'email', change: 'changed', before: '"a@x.io"', after: '"b@x.io"' },
      { path: 'address.city', change: 'changed', before: '"Paris"', after: '"Lyon"' },
      { path: 'address.zip', change: 'removed', before: '"75001"' },
      { path: 'phone', change: 'added', after: '"+33 1"' },
    ])
    expect(diff.truncated).toBe(false)
  })

  it('matches arrays of objects by id, whatever their order', () => {
    const diff = diffBodies(
      {
        customFields: [
          { id: 'f1', value: 'gold' },
          { id: 'f2', value: 1 },
          { id: 'f3', value: 'x' },
        ],
      },
      {
        customFields: [
          { id: 'f2', value: 1 },
          { id: 'f1', value: 'platinum' },
          { id: 'f4', value: [1] },
        ],
      },
    )
    expect(diff.changes).toEqual([
      { path: 'customFields[id="f1"].value', change: 'changed', before: '"gold"', after: '"platinum"' },
      { path: 'customFields[id="f3"]', change: 'removed', before: '{"id":"f3","value":"x"}' },
      { path: 'customFields[id="f4"]', change: 'added', after: '{"id":"f4","value":[1]}' },
    ])
  })

  it('lists what left and joined a list of values, and compares other arrays by index', () => {
    expect(diffBodies({ tags: ['a', 'b'] }, { tags: ['b', 'c'] }).changes).toEqual([
      { path: 'tags[]', change: 'removed', before: '"a"' },
      { path: 'tags[]', change: 'added', after: '"c"' },
    ])
    expect(
      diffBodies({ rows: [{ n: 1 }, { n: 2 }] }, { rows: [{ n: 1 }, { n: 3 }, { n: 4 }] }).changes,
    ).toEqual([
      { path: 'rows[1].n', change: 'changed', before: '2', after: '3' },
      { path: 'rows[2]', change: 'added', after: '{"n":4}' },
    ])
  })

  it('reports a change of type as a change, and equal bodies as none', () => {
    expect(diffBodies({ n: 1, o: { a: 1 }, z: null }, { n: '1', o: 'a', z: 0 }).changes).toEqual([
      { path: 'n', change: 'changed', before: '1', after: '"1"' },
      { path: 'o', change: 'changed', before: '{"a":1}', after: '"a"' },
      { path: 'z', change: 'changed', before: 'null', after: '0' },
    ])
    expect(diffBodies({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual({
      changes: [],
      volatile: [],
      truncated: false,
    })
    expect(diffBodies('text', ['array']).changes).toEqual([
      { path: '(body)', change: 'changed', before: '"text"', after: '["array"]' },
    ])
  })

  it('puts fields that change on every webhook apart', () => {
    const diff = diffBodies(
      { webhookId: 'w1', timestamp: 't1', name: 'A', data: { dateUpdated: 'd1' } },
      { webhookId: 'w2', timestamp: 't2', name: 'B', data: { dateUpdated: 'd2' } },
    )
    expect(diff.changes.map((c) => c.path)).toEqual(['name'])
    expect(diff.volatile.map((c) => c.path)).toEqual(['webhookId', 'timestamp', 'data.dateUpdated'])
  })

  it('keeps hostile keys and values as quoted text in paths and values', () => {
    const hostile = '<img src=x onerror=alert(1)>'
    const diff = diffBodies({ [hostile]: 1, name: 'a' }, { [hostile]: 2, name: hostile, 'a.b': '"' })
    expect(diff.changes).toEqual([
      { path: `[${JSON.stringify(hostile)}]`, change: 'changed', before: '1', after: '2' },
      { path: 'name', change: 'changed', before: '"a"', after: JSON.stringify(hostile) },
      { path: '["a.b"]', change: 'added', after: '"\\""' },
    ])
  })

  it('stops at its limits on a megabyte body, quickly, and says so', () => {
    const big = (v: number) =>
      Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`field${i}`, `${v}-${'x'.repeat(10)}`]))
    const a = big(1)
    const b = big(2)
    expect(JSON.stringify(b).length).toBeGreaterThan(1_000_000)
    const started = performance.now()
    const diff = diffBodies(a, b)
    expect(performance.now() - started).toBeLessThan(500)
    expect(diff.changes).toHaveLength(200)
    expect(diff.truncated).toBe(true)
    const walk = diffBodies(
      { a: Array.from({ length: 100 }, (_, i) => ({ i })) },
      { a: [] },
      { maxNodes: 10 },
    )
    expect(walk.truncated).toBe(false)
    const deep = diffBodies(a, { ...a, field49999: 'changed' }, { maxNodes: 1000 })
    expect(deep).toEqual({ changes: [], volatile: [], truncated: true })
  })
})

describe('preview', () => {
  it('renders JSON text cut at the limit without serialising a large value whole', () => {
    expect(preview({ a: [1, 'two', null] }, 100)).toBe('{"a":[1,"two",null]}')
    expect(preview('x'.repeat(50), 10)).toBe(`"${'x'.repeat(9)}…`)
    const huge = Array.from({ length: 1_000_000 }, (_, i) => i)
    const started = performance.now()
    expect(preview(huge, 20)).toBe('[0,1,2,3,4,5,6,7,8,9…')
    expect(performance.now() - started).toBeLessThan(50)
  })
})
