import { createHmac } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createHmacVerifier } from './hmac.js'
import { KeyConfigError } from './keys.js'
import type { SharedSecret, VerifyRequest } from './types.js'

const current: SharedSecret = { id: 'current', value: Buffer.from('s3cret-current') }
const previous: SharedSecret = { id: 'previous', value: Buffer.from('s3cret-previous') }
const body = Buffer.from('{"id":1,"note":"caf\xc3\xa9"}', 'latin1')
const NOW = 1_750_000_000_000
const nowSeconds = NOW / 1000

const hmac = (secret: SharedSecret, payload: string | Buffer) =>
  createHmac('sha256', secret.value).update(payload).digest()
const request = (headers: IncomingHttpHeaders, now = NOW, rawBody = body): VerifyRequest => ({
  rawBody,
  headers,
  now,
})

describe('createHmacVerifier (plain)', () => {
  const github = createHmacVerifier({
    header: 'X-Hub-Signature-256',
    prefix: 'sha256=',
    secrets: [current, previous],
  })

  it('accepts sha256=<hex> in either case and with any secret', () => {
    const hex = hmac(previous, body).toString('hex')
    for (const value of [`sha256=${hex}`, `SHA256=${hex.toUpperCase()}`]) {
      expect(github.verify(request({ 'x-hub-signature-256': value }))).toEqual({
        ok: true,
        scheme: 'hmac-sha256',
        keyId: 'previous',
      })
    }
    expect(
      github.verify(request({ 'x-hub-signature-256': `sha256=${hmac(current, body).toString('hex')}` })),
    ).toMatchObject({ ok: true, keyId: 'current' })
    expect(github.credentialHeaders).toEqual(['x-hub-signature-256'])
  })

  it('signs the raw bytes, including bytes that are not valid UTF-8', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x7b])
    const signature = `sha256=${hmac(current, binary).toString('hex')}`
    expect(github.verify(request({ 'x-hub-signature-256': signature }, NOW, binary)).ok).toBe(true)
  })

  it('accepts base64 digests', () => {
    const verifier = createHmacVerifier({ header: 'x-signature', encoding: 'base64', secrets: [current] })
    expect(verifier.verify(request({ 'x-signature': hmac(current, body).toString('base64') })).ok).toBe(true)
    expect(verifier.verify(request({ 'x-signature': hmac(current, body).toString('hex') })).ok).toBe(false)
  })

  it('rejects wrong secrets, wrong bodies and missing prefixes', () => {
    const stranger: SharedSecret = { id: 'x', value: Buffer.from('other') }
    const cases: [IncomingHttpHeaders, RegExp][] = [
      [
        { 'x-hub-signature-256': `sha256=${hmac(stranger, body).toString('hex')}` },
        /does not match an HMAC-SHA256/,
      ],
      [
        { 'x-hub-signature-256': `sha256=${hmac(current, '{}').toString('hex')}` },
        /does not match an HMAC-SHA256/,
      ],
      [{ 'x-hub-signature-256': hmac(current, body).toString('hex') }, /must start with "sha256="/],
    ]
    for (const [headers, message] of cases) {
      const outcome = github.verify(request(headers))
      expect(outcome).toMatchObject({
        ok: false,
        code: 'invalid_signature',
        message: expect.stringMatching(message),
      })
    }
  })

  it('reports a missing header', () => {
    expect(github.verify(request({}))).toMatchObject({ ok: false, code: 'missing_signature' })
  })

  it('never throws on truncated or garbage signatures and never echoes them', () => {
    const hex = hmac(current, body).toString('hex')
    const values = [
      'sha256=',
      `sha256=${hex.slice(0, 63)}`,
      `sha256=${hex.slice(0, 40)}`,
      `sha256=${hex}zz`,
      `sha256=${hex}00`,
    ]
    for (const value of [
      ...values,
      'sha256=\u00e9\u00e9',
      `sha256=${'g'.repeat(64)}`,
      `sha256=${hex} ${hex}`,
    ]) {
      const outcome = github.verify(request({ 'x-hub-signature-256': value }))
      expect(outcome).toMatchObject({ ok: false, code: 'invalid_signature' })
      if (!outcome.ok) expect(outcome.message).not.toContain(hex.slice(0, 16))
    }
  })
})

describe('createHmacVerifier (timestamped)', () => {
  const verifier = createHmacVerifier({
    header: 'x-signature',
    timestampHeader: 'x-timestamp',
    secrets: [current],
  })
  const signed = (timestamp: string) => ({
    'x-timestamp': timestamp,
    'x-signature': hmac(current, Buffer.concat([Buffer.from(`${timestamp}.`), body])).toString('hex'),
  })

  it('signs {timestamp}.{body} by default and reports signedAt, in seconds or milliseconds', () => {
    expect(verifier.verify(request(signed(String(nowSeconds - 10))))).toEqual({
      ok: true,
      scheme: 'hmac-sha256',
      keyId: 'current',
      signedAt: NOW - 10_000,
    })
    expect(verifier.verify(request(signed(String(NOW - 1234))))).toMatchObject({
      ok: true,
      signedAt: NOW - 1234,
    })
  })

  it('rejects timestamps outside the window in both directions, after checking the signature', () => {
    const past = verifier.verify(request(signed(String(nowSeconds - 301))))
    expect(past).toEqual({
      ok: false,
      scheme: 'hmac-sha256',
      code: 'timestamp_out_of_tolerance',
      message:
        "x-timestamp is 301 seconds in the past, outside the allowed window of ±300 seconds; check the sender's clock (NTP) and that the request is not a replay",
    })
    const future = verifier.verify(request(signed(String(NOW + 301_000))))
    expect(future).toMatchObject({
      code: 'timestamp_out_of_tolerance',
      message: expect.stringContaining('in the future'),
    })
    expect(verifier.verify(request(signed(String(nowSeconds + 300)))).ok).toBe(true)
    // A forged request with a stale timestamp is a signature failure, not a clock problem.
    const forged = { ...signed(String(nowSeconds - 10_000)), 'x-signature': '00'.repeat(32) }
    expect(verifier.verify(request(forged))).toMatchObject({ code: 'invalid_signature' })
  })

  it('honours toleranceSeconds', () => {
    const strict = createHmacVerifier({
      header: 'x-signature',
      timestampHeader: 'x-timestamp',
      toleranceSeconds: 5,
      secrets: [current],
    })
    expect(strict.verify(request(signed(String(nowSeconds - 6))))).toMatchObject({
      code: 'timestamp_out_of_tolerance',
    })
    expect(strict.verify(request(signed(String(nowSeconds - 5)))).ok).toBe(true)
  })

  it('requires the timestamp header and a numeric value', () => {
    const { 'x-signature': signature } = signed(String(nowSeconds))
    expect(verifier.verify(request({ 'x-signature': signature }))).toMatchObject({
      code: 'missing_signature',
      message: expect.stringMatching(/^x-timestamp is missing/),
    })
    expect(verifier.verify(request(signed('2025-06-15T00:00:00Z')))).toMatchObject({
      code: 'invalid_signature',
    })
  })

  it('supports a custom signed payload template', () => {
    const custom = createHmacVerifier({
      header: 'x-sig',
      prefix: 'v0=',
      timestampHeader: 'x-ts',
      signedPayload: 'v0:{timestamp}:{body}',
      secrets: [current],
    })
    const ts = String(nowSeconds)
    const digest = hmac(current, Buffer.concat([Buffer.from(`v0:${ts}:`), body])).toString('hex')
    expect(custom.verify(request({ 'x-ts': ts, 'x-sig': `v0=${digest}` }))).toMatchObject({
      ok: true,
      signedAt: NOW,
    })
  })
})

describe('createHmacVerifier (stripe)', () => {
  const stripe = createHmacVerifier({
    header: 'Stripe-Signature',
    style: 'stripe',
    secrets: [current, previous],
  })
  const v1 = (secret: SharedSecret, t: number) =>
    hmac(secret, Buffer.concat([Buffer.from(`${t}.`), body])).toString('hex')

  it('accepts any v1 entry and ignores v0', () => {
    const t = nowSeconds - 5
    const header = `t=${t},v1=${'ab'.repeat(32)},v0=${v1(current, t)},v1=${v1(previous, t)}`
    expect(stripe.verify(request({ 'stripe-signature': header }))).toEqual({
      ok: true,
      scheme: 'hmac-sha256',
      keyId: 'previous',
      signedAt: (nowSeconds - 5) * 1000,
    })
    expect(stripe.verify(request({ 'stripe-signature': `t=${t},v0=${v1(current, t)}` }))).toMatchObject({
      code: 'invalid_signature',
    })
  })

  it('checks the tolerance both ways', () => {
    for (const t of [nowSeconds - 400, nowSeconds + 400]) {
      const outcome = stripe.verify(request({ 'stripe-signature': `t=${t},v1=${v1(current, t)}` }))
      expect(outcome).toMatchObject({
        code: 'timestamp_out_of_tolerance',
        message: expect.stringMatching(/^The t= element/),
      })
    }
  })

  it('rejects malformed headers without throwing', () => {
    const t = nowSeconds
    for (const header of [
      'garbage',
      `v1=${v1(current, t)}`,
      `t=${t}`,
      `t=${t},v1=${v1(current, t).slice(0, 10)}`,
      't=,v1=',
      ',,,=',
    ]) {
      expect(stripe.verify(request({ 'stripe-signature': header }))).toMatchObject({
        ok: false,
        code: 'invalid_signature',
      })
    }
    expect(stripe.verify(request({}))).toMatchObject({ code: 'missing_signature' })
  })
})

describe('createHmacVerifier (configuration)', () => {
  it('fails fast on unusable options', () => {
    const bad = [
      { header: 'x', secrets: [] },
      { header: 'x', secrets: [{ id: 'empty', value: Buffer.alloc(0) }] },
      { header: 'x', secrets: [current], signedPayload: '{timestamp}', timestampHeader: 't' },
      { header: 'x', secrets: [current], signedPayload: '{timestamp}.{body}' },
      { header: 'x', secrets: [current], signedPayload: '{id}.{body}' },
      { header: 'x', secrets: [current], style: 'stripe' as const, prefix: 'sha256=' },
      { header: 'x', secrets: [current], timestampHeader: 't', toleranceSeconds: 0 },
    ]
    for (const options of bad)
      expect(() => createHmacVerifier(options), JSON.stringify(options)).toThrow(KeyConfigError)
  })
})
