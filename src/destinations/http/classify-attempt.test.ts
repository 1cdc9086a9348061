import { describe, expect, it } from 'vitest'
import {
  type AttemptVerdict,
  classifyAttempt,
  type HttpOutcome,
  parseRetryAfter,
} from './classify-attempt.js'
import { DestinationTimeout, EgressRefused, NetworkError } from './errors.js'

/** The outcome table of an HTTP attempt, row by row. */

const NOW = Date.parse('2026-11-23T12:00:00.000Z')
const response = (status: number, headers: Record<string, string> = {}): HttpOutcome => ({
  kind: 'response',
  status,
  headers,
})
const error = (e: Error): HttpOutcome => ({ kind: 'error', error: e })

describe('classifyAttempt', () => {
  const rows: [string, HttpOutcome, Partial<AttemptVerdict> & { kind: AttemptVerdict['kind'] }][] = [
    ['200', response(200), { kind: 'success', message: '200 OK' }],
    ['201', response(201), { kind: 'success' }],
    ['204', response(204), { kind: 'success' }],
    ['299 (unnamed)', response(299), { kind: 'success', message: '299' }],
    ['429 without Retry-After', response(429), { kind: 'retry', retryAfterMs: undefined }],
    [
      '429 Retry-After: 120',
      response(429, { 'retry-after': '120' }),
      { kind: 'retry', retryAfterMs: 120_000 },
    ],
    ['502 Retry-After: 5', response(502, { 'retry-after': '5' }), { kind: 'retry', retryAfterMs: 5000 }],
    [
      '503 Retry-After: HTTP date',
      response(503, { 'retry-after': new Date(NOW + 90_000).toUTCString() }),
      { kind: 'retry', retryAfterMs: 90_000 },
    ],
    ['504 Retry-After: 0', response(504, { 'retry-after': '0' }), { kind: 'retry', retryAfterMs: 0 }],
    [
      '429 Retry-After beyond the cap',
      response(429, { 'retry-after': '86400' }),
      { kind: 'retry', retryAfterMs: 3_600_000 },
    ],
    [
      '429 Retry-After garbage',
      response(429, { 'retry-after': 'soon' }),
      { kind: 'retry', retryAfterMs: undefined },
    ],
    [
      '500 ignores Retry-After',
      response(500, { 'retry-after': '60' }),
      { kind: 'retry', retryAfterMs: undefined },
    ],
    ['410', response(410), { kind: 'disable', errorName: 'DestinationGone' }],
    [
      '400',
      response(400),
      { kind: 'retry', errorName: 'HttpStatusError', message: 'answered 400 Bad Request' },
    ],
    ['401', response(401), { kind: 'retry' }],
    ['404', response(404), { kind: 'retry' }],
    ['408', response(408), { kind: 'retry' }],
    ['500', response(500), { kind: 'retry' }],
    ['301', response(301, { location: 'https://new.example/x?token=1' }), { kind: 'retry' }],
    ['307 without Location', response(307), { kind: 'retry' }],
    ['304', response(304), { kind: 'retry' }],
    ['timeout', error(new DestinationTimeout(15_000)), { kind: 'retry', errorName: 'DestinationTimeout' }],
    [
      'reset',
      error(new NetworkError('reset', { code: 'ECONNRESET' })),
      { kind: 'retry', errorName: 'NetworkError' },
    ],
    ['DNS', error(new NetworkError('DNS', { code: 'ENOTFOUND' })), { kind: 'retry' }],
    ['egress refused', error(new EgressRefused('refused to connect to 10.0.0.1')), { kind: 'fatal' }],
  ]
  it.each(rows)('%s', (_name, outcome, expected) => {
    const { retryAfterMs, ...rest } = expected as { retryAfterMs?: number }
    const verdict = classifyAttempt(outcome, { now: NOW })
    expect(verdict).toMatchObject(rest)
    if ('retryAfterMs' in expected)
      expect((verdict as { retryAfterMs?: number }).retryAfterMs).toBe(retryAfterMs)
  })

  it('says redirects are not followed, naming only the target origin', () => {
    const verdict = classifyAttempt(response(302, { location: 'https://new.example/path?token=secret' }), {
      now: NOW,
    })
    expect(verdict.message).toBe(
      'answered 302 Found to https://new.example; redirects are not followed — point the destination at the final URL',
    )
  })

  it('honours a smaller cap', () => {
    expect(
      classifyAttempt(response(429, { 'retry-after': '600' }), { now: NOW, maxRetryAfterMs: 60_000 }),
    ).toMatchObject({
      retryAfterMs: 60_000,
      message: 'answered 429 Too Many Requests with Retry-After 600 s (capped at 60 s)',
    })
  })
})

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    [' 7 ', 7000],
    ['0', 0],
    [new Date(NOW + 30_000).toUTCString(), 30_000],
    [new Date(NOW - 30_000).toUTCString(), 0],
    ['-5', undefined],
    ['1.5', undefined],
    ['', undefined],
    ['tomorrow-ish', undefined],
  ] as const)('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected)
  })
  it('is undefined without a header', () => expect(parseRetryAfter(undefined, NOW)).toBeUndefined())
})
