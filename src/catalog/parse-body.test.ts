import { describe, expect, it } from 'vitest'
import type { GatewayError } from '../errors.js'
import { MAX_JSON_DEPTH } from '../json-depth.js'
import { parseFormBody, parseJsonBody, parseStoredBody } from './parse-body.js'

const fails = (text: string | Buffer) => {
  try {
    parseJsonBody(Buffer.from(text))
  } catch (error) {
    return error as GatewayError
  }
  throw new Error('expected a failure')
}

describe('parseJsonBody', () => {
  it('parses objects, arrays and a leading BOM', () => {
    expect(parseJsonBody(Buffer.from('{"a":[1,2]}'))).toEqual({ a: [1, 2] })
    expect(parseJsonBody(Buffer.from('\ufeff[1]'))).toEqual([1])
  })

  it('locates the error on any line', () => {
    const error = fails('{\n  "a": 1,\n  "b": tru\n}')
    expect(error.code).toBe('invalid_json')
    expect(error.details).toMatchObject({ line: 3 })
    expect(error.message).toMatch(/line 3, column \d+/)
    expect(fails('{"a":1').message).toMatch(/line 1/)
    expect(fails('[1,2,]').details).toMatchObject({ offset: 5 })
  })

  it('rejects invalid UTF-8 and empty bodies with a sentence', () => {
    expect(fails(Buffer.from([0x22, 0xc3, 0x28, 0x22])).message).toMatch(/UTF-8/)
    expect(fails(' \n').message).toMatch(/empty/)
  })

  it('answers invalid_json, not a crash, for invalid JSON nested too deeply to locate the error', () => {
    const error = fails(`${'['.repeat(10_000)}${']'.repeat(9_999)}`)
    expect(error.code).toBe('invalid_json')
  })

  it('refuses a body nested deeper than MAX_JSON_DEPTH with payload_too_deep, at any depth', () => {
    const nested = (depth: number) => Buffer.from(`${'{"a":['.repeat(depth / 2)}${']}'.repeat(depth / 2)}`)
    expect(parseJsonBody(nested(MAX_JSON_DEPTH))).toBeTypeOf('object')
    for (const depth of [MAX_JSON_DEPTH + 2, 10_000, 200_000]) {
      const error = fails(nested(depth))
      expect(error.code, String(depth)).toBe('payload_too_deep')
      expect(error.message).toContain(`${MAX_JSON_DEPTH} levels`)
      expect(error.details).toEqual({ maxDepth: MAX_JSON_DEPTH })
    }
  })
})

describe('parseFormBody', () => {
  it('decodes fields and turns repeated keys into arrays', () => {
    expect(parseFormBody(Buffer.from('a=1&b=x%20y&b=z&c='))).toEqual({ a: '1', b: ['x y', 'z'], c: '' })
  })

  it('is safe with keys like __proto__', () => {
    const parsed = parseFormBody(Buffer.from('__proto__=x&constructor=y'))
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe('x')
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })
})

describe('parseStoredBody', () => {
  const stored = (bytes: string | Buffer, bodyFormat: string | null = 'flat') => ({
    rawBody: Buffer.from(bytes),
    bodyFormat,
  })

  it('parses JSON with or without a byte-order mark, and forms into objects', () => {
    expect(parseStoredBody(stored('{"a":[1,2]}'))).toEqual({ a: [1, 2] })
    expect(parseStoredBody(stored('\ufeff{"a":1}'))).toEqual({ a: 1 })
    expect(parseStoredBody(stored('a=1&a=2', 'form'))).toEqual({ a: ['1', '2'] })
  })

  it('never throws: text that is not JSON stays text, bytes that are not UTF-8 are null', () => {
    expect(parseStoredBody(stored('not json', null))).toBe('not json')
    expect(parseStoredBody(stored(Buffer.from([0xff, 0xfe, 0x00])))).toBeNull()
  })
})
