import { createTraceState } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import {
  formatTraceParent,
  formatTraceState,
  parseTraceParent,
  parseTraceState,
  traceIdOf,
} from './trace-context.js'

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

describe('W3C tracestate', () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',')

  it('reads vendor data and writes it back in order, without optional whitespace', () => {
    expect(parseTraceState('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')!.serialize()).toBe(
      'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    )
    expect(parseTraceState(' congo=t61rcWkgMzE ,\t, tenant@vendor=x ')!.serialize()).toBe(
      'congo=t61rcWkgMzE,tenant@vendor=x',
    )
    // Several tracestate headers are one list.
    expect(parseTraceState(['a=1', 'b=2'])!.serialize()).toBe('a=1,b=2')
    expect(parseTraceState(members(32))!.serialize()).toBe(members(32))
  })

  it('drops malformed members and keeps the rest, as the SDK’s propagator does', () => {
    expect(parseTraceState('Upper=1,ok=2,novalue,bad=a=b,ctl=a\u0001b,é=1')!.serialize()).toBe('ok=2')
  })

  it('drops the whole value beyond the spec’s limits, or when nothing valid is left', () => {
    const long = `a=${'x'.repeat(200)},b=${'y'.repeat(200)},c=${'z'.repeat(110)}`
    expect(long.length).toBeGreaterThan(512)
    for (const value of [undefined, 42, '', ' , ', 'garbage', 'UPPER=1', members(33), long]) {
      expect(parseTraceState(value), String(value)).toBeUndefined()
    }
  })

  it('formats a trace state as a valid header, or null', () => {
    expect(formatTraceState(createTraceState('a=1,b=2'))).toBe('a=1,b=2')
    expect(formatTraceState(undefined)).toBeNull()
    expect(formatTraceState(createTraceState())).toBeNull()
    // A state an SDK or sampler grew past the limit is not sent.
    let big = createTraceState()
    for (let i = 0; i < 33; i++) big = big.set(`k${i}`, 'v')
    expect(formatTraceState(big)).toBeNull()
  })
})
