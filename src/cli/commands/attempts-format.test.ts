import { describe, expect, it } from 'vitest'
import type { AttemptJson } from '../../api/schemas/index.js'
import { styleFor } from '../ui/style.js'
import { formatAttempts } from './attempts-format.js'

const plain = styleFor(process.stdout, { NO_COLOR: '1' })
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'

const attempt = (number: number, traceId: string | null): AttemptJson => ({
  id: `att_${number}`,
  deliveryId: 'dlv_1',
  number,
  cycle: 0,
  worker: 'w',
  startedAt: '2026-12-03T12:00:00.000Z',
  durationMs: 3,
  outcome: 'retry',
  errorClass: 'Error',
  errorMessage: 'boom',
  errorStack: null,
  response: null,
  traceId,
})

describe('attempts table (events show, dlq show, tail)', () => {
  it('has a TRACE column when an attempt ran in a trace, — for one that did not', () => {
    const lines = formatAttempts([attempt(1, TRACE), attempt(2, null)], plain).split('\n')
    expect(lines[0]).toMatch(/OUTCOME +TRACE +ERROR/)
    expect(lines[1]).toContain(TRACE)
    expect(lines[2]).toMatch(/retry +— +Error: boom/)
  })

  it('has none when no attempt did (or the gateway is older than tracing)', () => {
    const old = { ...attempt(1, null), traceId: undefined } as unknown as AttemptJson
    expect(formatAttempts([attempt(1, null), old], plain)).not.toContain('TRACE')
  })
})
