import { describe, expect, it } from 'vitest'
import { pathSegments, readPath, readPathString } from './read-body.js'

describe('readPath', () => {
  const body = JSON.parse('{"a":{"b":[{"id":"x"},{"id":""}]},"__proto__":{"polluted":1},"n":null}')

  it('reads own keys and decimal array indexes', () => {
    expect(readPath(body, ['a', 'b', '0', 'id'])).toBe('x')
    expect(readPath(body, ['a', 'b'])).toHaveLength(2)
    expect(readPath(body, [])).toBe(body)
    expect(readPathString(body, ['a', 'b', '0', 'id'])).toBe('x')
    expect(readPathString(body, ['a', 'b', '1', 'id'])).toBeUndefined()
  })

  it('never reaches inherited keys, array properties or through non-objects', () => {
    expect(readPath(body, ['constructor'])).toBeUndefined()
    expect(readPath(body, ['a', 'toString'])).toBeUndefined()
    expect(readPath(body, ['a', 'b', 'length'])).toBeUndefined()
    expect(readPath(body, ['a', 'b', '-1'])).toBeUndefined()
    expect(readPath(body, ['a', 'b', '0', 'id', 'length'])).toBeUndefined()
    expect(readPath(body, ['n', 'x'])).toBeUndefined()
    // A body's own `__proto__` key is data, never the prototype.
    expect(readPath(body, ['__proto__', 'polluted'])).toBe(1)
    expect(readPath({}, ['__proto__'])).toBeUndefined()
  })

  it('takes dotted paths split once', () => {
    expect(pathSegments('appointment.id')).toEqual(['appointment', 'id'])
    expect(pathSegments('appointment.id')).toBe(pathSegments('appointment.id'))
  })
})
