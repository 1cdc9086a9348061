import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { KeyConfigError } from './keys.js'
import { createTokenVerifier } from './token.js'
import type { SharedSecret, VerifyRequest } from './types.js'

const secret = (id: string, value: string): SharedSecret => ({ id, value: Buffer.from(value) })
const request = (headers: IncomingHttpHeaders): VerifyRequest => ({
  rawBody: Buffer.from('{}'),
  headers,
  now: 0,
})
const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`

describe('createTokenVerifier', () => {
  it('bearer: accepts any configured token, scheme word in any case', () => {
    const verifier = createTokenVerifier({
      scheme: 'bearer',
      secrets: [secret('old', 'tok-old'), secret('new', 'tok-new')],
    })
    for (const value of ['Bearer tok-new', 'bearer tok-new', 'BEARER   tok-new']) {
      expect(verifier.verify(request({ authorization: value }))).toEqual({
        ok: true,
        scheme: 'token',
        keyId: 'new',
      })
    }
    expect(verifier.verify(request({ authorization: 'Bearer tok-old' }))).toMatchObject({
      ok: true,
      keyId: 'old',
    })
    expect(verifier.credentialHeaders).toEqual(['authorization'])
  })

  it('bearer: rejects wrong tokens and wrong schemes without echoing them', () => {
    const verifier = createTokenVerifier({ scheme: 'bearer', secrets: [secret('a', 'tok-right')] })
    const cases: [string, RegExp][] = [
      ['Bearer tok-wrong', /^The token in authorization matches none/],
      ['Bearer tok-righ', /matches none/],
      ['Bearer tok-right-and-more', /matches none/],
      ['Basic tok-right', /is not in the form "authorization: Bearer <credentials>"/],
      ['tok-right', /is not in the form/],
      ['Bearer', /is not in the form/],
      ['Bearer a b', /is not in the form/],
    ]
    for (const [value, message] of cases) {
      const outcome = verifier.verify(request({ authorization: value }))
      expect(outcome, value).toMatchObject({
        ok: false,
        code: 'invalid_signature',
        message: expect.stringMatching(message),
      })
      if (!outcome.ok) expect(outcome.message).not.toContain('tok-')
    }
    expect(verifier.verify(request({}))).toMatchObject({ ok: false, code: 'missing_signature' })
  })

  it('basic: compares the decoded user:password', () => {
    const verifier = createTokenVerifier({ scheme: 'basic', secrets: [secret('ghl', 'ghl:pa:ss')] })
    expect(verifier.verify(request({ authorization: basic('ghl:pa:ss') }))).toMatchObject({
      ok: true,
      keyId: 'ghl',
    })
    expect(verifier.verify(request({ authorization: basic('ghl:pass') }))).toMatchObject({
      code: 'invalid_signature',
      message: expect.stringMatching(/^The user name and password in authorization/),
    })
    expect(verifier.verify(request({ authorization: 'Basic %%%' }))).toMatchObject({
      code: 'invalid_signature',
    })
    expect(
      verifier.verify(request({ authorization: `Bearer ${Buffer.from('ghl:pa:ss').toString('base64')}` })),
    ).toMatchObject({ code: 'invalid_signature' })
  })

  it('raw: the whole value of a custom header is the token', () => {
    const verifier = createTokenVerifier({
      scheme: 'raw',
      header: 'X-Webhook-Token',
      secrets: [secret('t', 'abc 123')],
    })
    expect(verifier.verify(request({ 'x-webhook-token': 'abc 123' }))).toMatchObject({ ok: true, keyId: 't' })
    expect(verifier.verify(request({ 'x-webhook-token': 'Bearer abc 123' })).ok).toBe(false)
    expect(verifier.verify(request({ authorization: 'abc 123' }))).toMatchObject({
      code: 'missing_signature',
      message: 'X-Webhook-Token is missing; this source expects "X-Webhook-Token: <token>"',
    })
    expect(verifier.credentialHeaders).toEqual(['x-webhook-token'])
  })

  it('refuses to start without usable secrets', () => {
    expect(() => createTokenVerifier({ scheme: 'bearer', secrets: [] })).toThrow(KeyConfigError)
    expect(() => createTokenVerifier({ scheme: 'raw', secrets: [secret('e', '')] })).toThrow(KeyConfigError)
  })
})
