import { randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { KeyConfigError } from './keys.js'
import {
  createStandardWebhooksVerifier,
  decodeStandardSecret,
  signStandardWebhook,
} from './standard-webhooks.js'
import type { VerifyRequest } from './types.js'

const whsec = (bytes = randomBytes(24)) => `whsec_${bytes.toString('base64')}`
const currentText = whsec()
const previousText = whsec(randomBytes(32))
const current = { id: 'current', value: decodeStandardSecret(currentText) }
const previous = { id: 'previous', value: decodeStandardSecret(previousText) }
const verifier = createStandardWebhooksVerifier({ secrets: [current, previous] })

const body = Buffer.from('{"type":"contact.created","data":{"name":"Zoë"}}')
const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
const NOW = 1_750_000_000_000
const seconds = NOW / 1000

const headersFor = (timestamp: number, signature: string, msgId = id): IncomingHttpHeaders => ({
  'webhook-id': msgId,
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
})
const request = (headers: IncomingHttpHeaders, now = NOW, rawBody = body): VerifyRequest => ({
  rawBody,
  headers,
  now,
})

describe('createStandardWebhooksVerifier', () => {
  it('verifies what the standardwebhooks library signs', () => {
    const signature = new Webhook(previousText).sign(id, new Date(NOW), body)
    expect(verifier.verify(request(headersFor(seconds, signature)))).toEqual({
      ok: true,
      scheme: 'standard-webhooks',
      keyId: 'previous',
      senderEventId: id,
      signedAt: NOW,
    })
  })

  it('signs what the standardwebhooks library verifies', () => {
    // The library reads the real clock, so sign with it.
    const now = Math.floor(Date.now() / 1000)
    const signature = signStandardWebhook(current.value, id, now, body)
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    const headers = { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': signature }
    expect(new Webhook(currentText).verify(body, headers)).toEqual(JSON.parse(body.toString()))
    expect(() => new Webhook(previousText).verify(body, headers)).toThrow('No matching signature found')
    expect(signStandardWebhook(current.value, id, now, body.toString())).toBe(signature)
  })

  it('accepts any of several signatures and ignores v1a entries', () => {
    const stranger = decodeStandardSecret(whsec())
    const entries = [
      `v1a,${randomBytes(64).toString('base64')}`,
      signStandardWebhook(stranger, id, seconds, body),
      signStandardWebhook(current.value, id, seconds, body),
    ]
    expect(verifier.verify(request(headersFor(seconds, entries.join(' '))))).toMatchObject({
      ok: true,
      keyId: 'current',
    })
    // A v1a entry carrying the right bytes is still not a v1 signature.
    const relabelled = signStandardWebhook(current.value, id, seconds, body).replace(/^v1,/, 'v1a,')
    expect(verifier.verify(request(headersFor(seconds, relabelled)))).toMatchObject({
      ok: false,
      code: 'invalid_signature',
      message: expect.stringContaining('no "v1,<base64 HMAC-SHA256>" entry'),
    })
  })

  it('rejects signatures over other content', () => {
    const signature = signStandardWebhook(current.value, id, seconds, body)
    const cases = [
      headersFor(seconds, signature, 'msg_other'),
      headersFor(seconds + 1, signature),
      headersFor(seconds, signStandardWebhook(decodeStandardSecret(whsec()), id, seconds, body)),
    ]
    for (const headers of cases) {
      expect(verifier.verify(request(headers))).toMatchObject({ ok: false, code: 'invalid_signature' })
    }
    expect(
      verifier.verify(request(headersFor(seconds, signature), NOW, Buffer.from(`${body} `))),
    ).toMatchObject({
      ok: false,
      code: 'invalid_signature',
    })
  })

  it('checks the ±300 s window both ways, like the library', () => {
    const at = (timestamp: number) =>
      headersFor(timestamp, signStandardWebhook(current.value, id, timestamp, body))
    expect(verifier.verify(request(at(seconds - 300))).ok).toBe(true)
    expect(verifier.verify(request(at(seconds + 300))).ok).toBe(true)
    expect(verifier.verify(request(at(seconds - 301)))).toMatchObject({
      code: 'timestamp_out_of_tolerance',
      message: expect.stringMatching(
        /^webhook-timestamp is 301 seconds in the past, outside the allowed window of ±300/,
      ),
    })
    expect(verifier.verify(request(at(seconds + 301)))).toMatchObject({
      code: 'timestamp_out_of_tolerance',
      message: expect.stringContaining('in the future'),
    })
    const strict = createStandardWebhooksVerifier({ secrets: [current], toleranceSeconds: 10 })
    expect(strict.verify(request(at(seconds - 11)))).toMatchObject({ code: 'timestamp_out_of_tolerance' })
  })

  it('names the missing headers', () => {
    const full = headersFor(seconds, signStandardWebhook(current.value, id, seconds, body))
    expect(verifier.verify(request({ ...full, 'webhook-signature': undefined }))).toMatchObject({
      code: 'missing_signature',
      message: expect.stringMatching(/^webhook-signature is missing;/),
    })
    expect(verifier.verify(request({ 'webhook-signature': full['webhook-signature'] }))).toMatchObject({
      code: 'missing_signature',
      message: expect.stringMatching(/^webhook-id and webhook-timestamp are missing;/),
    })
  })

  it('never throws on malformed headers and never echoes signatures', () => {
    const valid = signStandardWebhook(current.value, id, seconds, body)
    const values = [
      'v1',
      'v1,',
      ',,,',
      `v1,${valid.slice(3, 20)}`,
      `${valid}garbage`,
      `v1 ${valid.slice(3)}`,
      'v1,%%%%',
    ]
    for (const signature of values) {
      const outcome = verifier.verify(request(headersFor(seconds, signature)))
      expect(outcome, signature).toMatchObject({ ok: false, code: 'invalid_signature' })
      if (!outcome.ok) expect(outcome.message).not.toContain(valid.slice(3, 15))
    }
    for (const timestamp of ['soon', '1.75e9', '-1', `${seconds}000`]) {
      const outcome = verifier.verify(
        request({ ...headersFor(seconds, valid), 'webhook-timestamp': timestamp }),
      )
      expect(outcome.ok, timestamp).toBe(false)
    }
  })

  it('reads svix-* headers when asked', () => {
    const svix = createStandardWebhooksVerifier({ secrets: [current], headerPrefix: 'svix' })
    const signature = new Webhook(currentText).sign(id, new Date(NOW), body)
    const headers = { 'svix-id': id, 'svix-timestamp': String(seconds), 'svix-signature': signature }
    expect(svix.verify(request(headers))).toMatchObject({ ok: true, senderEventId: id })
    expect(svix.credentialHeaders).toEqual(['svix-signature'])
    expect(verifier.credentialHeaders).toEqual(['webhook-signature'])
  })
})

describe('decodeStandardSecret', () => {
  it('decodes with or without the whsec_ prefix', () => {
    const bytes = randomBytes(24)
    expect(decodeStandardSecret(`whsec_${bytes.toString('base64')}`)).toEqual(bytes)
    expect(decodeStandardSecret(bytes.toString('base64'))).toEqual(bytes)
  })

  it('throws a KeyConfigError that does not contain the secret', () => {
    for (const bad of ['', 'whsec_', 'whsec_not base64!', 'whsec_abc$def']) {
      expect(() => decodeStandardSecret(bad, 'SOURCE_SECRET')).toThrow(KeyConfigError)
      try {
        decodeStandardSecret(bad, 'SOURCE_SECRET')
      } catch (error) {
        expect((error as Error).message).toMatch(/^SOURCE_SECRET is not "whsec_" followed by base64/)
        if (bad.length > 6) expect((error as Error).message).not.toContain(bad)
      }
    }
  })
})
