import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CATALOG, loadFixture } from './catalog/index.js'
import { MAX_JSON_DEPTH, nestsDeeperThan, stringifyJson } from './json-depth.js'

const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`
/** `value` wrapped in enough arrays that stringifyJson takes its iterative path. */
function buried(value: unknown): unknown {
  let wrapped: unknown = value
  for (let i = 0; i <= MAX_JSON_DEPTH; i++) wrapped = [wrapped]
  return wrapped
}

describe('nestsDeeperThan', () => {
  it('counts objects and arrays: exactly the limit passes, one more level does not', () => {
    for (const text of [arrays, objects]) {
      expect(nestsDeeperThan(JSON.parse(text(MAX_JSON_DEPTH)))).toBe(false)
      expect(nestsDeeperThan(JSON.parse(text(MAX_JSON_DEPTH + 1)))).toBe(true)
    }
    expect(nestsDeeperThan(JSON.parse('[{"a":[1]}]'), 3)).toBe(false)
    expect(nestsDeeperThan(JSON.parse('[{"a":[{}]}]'), 3)).toBe(true)
    expect(nestsDeeperThan({}, 0)).toBe(true)
    for (const scalar of [null, 1, 'text', true, undefined]) expect(nestsDeeperThan(scalar, 0)).toBe(false)
  })

  it('finds the deep branch anywhere, and wide is not deep', () => {
    const deepLast = JSON.parse(`[1, {"a": "x"}, [], ${arrays(MAX_JSON_DEPTH)}]`)
    expect(nestsDeeperThan(deepLast)).toBe(true)
    expect(nestsDeeperThan(Array.from({ length: 100_000 }, () => ({ a: [1] })))).toBe(false)
  })

  it('passes every GHL fixture with room to spare (the deepest nests 5 levels)', () => {
    for (const { name } of CATALOG) {
      expect(nestsDeeperThan(loadFixture(name), 5), name).toBe(false)
    }
  })

  it('does not overflow the stack on a body of any depth', () => {
    expect(nestsDeeperThan(JSON.parse(arrays(500_000)))).toBe(true)
  })
})

describe('stringifyJson', () => {
  it('writes what JSON.stringify writes, on the recursive and the iterative path', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(stringifyJson(value)).toBe(JSON.stringify(value))
        expect(stringifyJson(buried(value))).toBe(JSON.stringify(buried(value)))
      }),
    )
  })

  it("keeps JSON.stringify's rules for values JSON cannot hold, and refuses cycles", () => {
    const odd = {
      skip: undefined,
      f: () => 1,
      list: [undefined, () => 1, Symbol('s')],
      at: new Date(0),
      n: NaN,
    }
    expect(stringifyJson(buried(odd))).toBe(JSON.stringify(buried(odd)))
    expect(stringifyJson(undefined)).toBeUndefined()
    const cycle: unknown[] = []
    cycle.push(cycle)
    expect(() => stringifyJson(buried(cycle))).toThrow(TypeError)
  })

  it('writes a body nested far deeper than JSON.stringify can, byte for byte', () => {
    const text = `{"a":${arrays(20_000)},"b":[1,"x",${objects(20_000)}]}`
    const value = JSON.parse(text)
    expect(() => JSON.stringify(value)).toThrow(RangeError)
    expect(stringifyJson(value)).toBe(text)
  })
})
