import { describe, expect, it } from 'vitest'
import { KeyConfigError } from './keys.js'
import { createSecretUrlVerifier } from './secret-url.js'
import type { VerifyRequest } from './types.js'

const secrets = [
  { id: 'old', value: Buffer.from('u8Jx-old-token') },
  { id: 'new', value: Buffer.from('Qm3v-new-token') },
]
const request = (urlToken?: string): VerifyRequest => {
  const base: VerifyRequest = { rawBody: Buffer.from('{}'), headers: {}, now: 0 }
  return urlToken === undefined ? base : { ...base, urlToken }
}

describe('createSecretUrlVerifier', () => {
  const verifier = createSecretUrlVerifier({ secrets })

  it('accepts any configured token and reports which', () => {
    expect(verifier.verify(request('Qm3v-new-token'))).toEqual({
      ok: true,
      scheme: 'secret-url',
      keyId: 'new',
    })
    expect(verifier.verify(request('u8Jx-old-token'))).toMatchObject({ ok: true, keyId: 'old' })
    expect(verifier.credentialHeaders).toEqual([])
  })

  it('explains a missing token with the expected URL', () => {
    for (const token of [undefined, '']) {
      expect(verifier.verify(request(token))).toEqual({
        ok: false,
        scheme: 'secret-url',
        code: 'missing_signature',
        message: 'This source expects its secret in the URL: POST /webhooks/<source>/<token>',
      })
    }
    const named = createSecretUrlVerifier({ secrets, source: 'forms' })
    expect(named.verify(request())).toMatchObject({
      message: expect.stringContaining('POST /webhooks/forms/<token>'),
    })
  })

  it('rejects wrong, truncated and extended tokens without echoing them', () => {
    for (const token of ['nope', 'Qm3v-new-toke', 'Qm3v-new-token-x', 'qm3v-new-token']) {
      const outcome = verifier.verify(request(token))
      expect(outcome, token).toMatchObject({ ok: false, code: 'invalid_signature' })
      if (!outcome.ok) expect(outcome.message).not.toContain(token)
    }
  })

  it('refuses to start without secrets', () => {
    expect(() => createSecretUrlVerifier({ secrets: [] })).toThrow(KeyConfigError)
  })
})
