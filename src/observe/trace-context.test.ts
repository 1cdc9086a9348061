import { describe, expect, it } from 'vitest'
import { formatTraceParent, parseTraceParent, traceIdOf } from './trace-context.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

describe('W3C traceparent', () => {
  it('reads a valid value and writes it back unchanged', () => {
    for (const value of [`00-${TRACE}-${SPAN}-01`, `00-${TRACE}-${SPAN}-00`]) {
      const parsed = parseTraceParent(value)
      expect(parsed).toMatchObject({ traceId: TRACE, spanId: SPAN, isRemote: true })
      expect(formatTraceParent(parsed!)).toBe(value)
    }
    expect(traceIdOf(`00-${TRACE}-${SPAN}-01`)).toBe(TRACE)
  })

  it('keeps only the sampled flag, and takes a future version with more fields', () => {
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-03`)!.traceFlags).toBe(1)
    expect(parseTraceParent(`01-${TRACE}-${SPAN}-01-more`)).toMatchObject({ traceId: TRACE, spanId: SPAN })
  })

  it('refuses what is not a valid traceparent', () => {
    for (const value of [
      undefined,
      ['a', 'b'],
      '',
      'garbage',
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}`,
    ]) {
      expect(parseTraceParent(value), String(value)).toBeUndefined()
    }
    expect(traceIdOf(null)).toBeNull()
  })
})
