import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createGhlVerifier } from './ghl.js'
import { ghlTrustedKeys, KeyConfigError, keyId } from './keys.js'
import type { TrustedKey, VerifyRequest } from './types.js'

const ed1 = generateKeyPairSync('ed25519')
const ed2 = generateKeyPairSync('ed25519')
const rsa1 = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 })
const trusted = (kind: 'ed25519' | 'rsa', key: KeyObject): TrustedKey => ({ id: keyId(kind, key), key })
const verifier = createGhlVerifier({
  ed25519: [trusted('ed25519', ed1.publicKey), trusted('ed25519', ed2.publicKey)],
  rsa: [trusted('rsa', rsa1.publicKey), trusted('rsa', rsa2.publicKey)],
})

// Whitespace, key order and a non-ASCII character that JSON.stringify would write differently.
const body = Buffer.from('{ "type": "ContactCreate",\n  "locationId": "loc_1", "name": "Zo\\u00eb" }')
const edSig = (key: KeyObject, bytes = body) => sign(null, bytes, key).toString('base64')
const rsaSig = (key: KeyObject, bytes = body) => sign('sha256', bytes, key).toString('base64')
const request = (headers: IncomingHttpHeaders, rawBody = body): VerifyRequest => ({
  rawBody,
  headers,
  now: 0,
})

describe('createGhlVerifier', () => {
  it('accepts a valid X-GHL-Signature and reports the key', () => {
    expect(verifier.verify(request({ 'x-ghl-signature': edSig(ed1.privateKey) }))).toEqual({
      ok: true,
      scheme: 'ghl-ed25519',
      keyId: keyId('ed25519', ed1.publicKey),
    })
  })

  it('verifies the raw bytes, not re-serialized JSON', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString())))
    expect(reserialized.equals(body)).toBe(false)
    expect(verifier.verify(request({ 'x-ghl-signature': edSig(ed1.privateKey) })).ok).toBe(true)
    const outcome = verifier.verify(request({ 'x-ghl-signature': edSig(ed1.privateKey) }, reserialized))
    expect(outcome).toMatchObject({ ok: false, code: 'invalid_signature' })
  })

  it('accepts any trusted key during rotation', () => {
    const second = verifier.verify(request({ 'x-ghl-signature': edSig(ed2.privateKey) }))
    expect(second).toMatchObject({ ok: true, keyId: keyId('ed25519', ed2.publicKey) })
    const secondRsa = verifier.verify(request({ 'x-wh-signature': rsaSig(rsa2.privateKey) }))
    expect(secondRsa).toMatchObject({ ok: true, scheme: 'ghl-rsa', keyId: keyId('rsa', rsa2.publicKey) })
  })

  it('rejects an Ed25519 signature from an untrusted key or over other bytes', () => {
    const stranger = generateKeyPairSync('ed25519').privateKey
    for (const signature of [edSig(stranger), edSig(ed1.privateKey, Buffer.from('{}'))]) {
      const outcome = verifier.verify(request({ 'x-ghl-signature': signature }))
      expect(outcome).toEqual({
        ok: false,
        scheme: 'ghl-ed25519',
        code: 'invalid_signature',
        message:
          "X-GHL-Signature does not match the request body for any trusted Ed25519 key; check that nothing rewrote the body and that GHL_ED25519_PUBLIC_KEYS lists the sender's key",
      })
    }
  })

  it('falls back to X-WH-Signature only when X-GHL-Signature is absent', () => {
    const valid = rsaSig(rsa1.privateKey)
    for (const absent of [undefined, 'N/A', 'n/a', '', '   ']) {
      const headers: IncomingHttpHeaders = { 'x-wh-signature': valid }
      if (absent !== undefined) headers['x-ghl-signature'] = absent
      expect(verifier.verify(request(headers))).toEqual({
        ok: true,
        scheme: 'ghl-rsa',
        keyId: keyId('rsa', rsa1.publicKey),
      })
    }
  })

  it('does not fall back to RSA when X-GHL-Signature is present but invalid', () => {
    const stranger = generateKeyPairSync('ed25519').privateKey
    const outcome = verifier.verify(
      request({ 'x-ghl-signature': edSig(stranger), 'x-wh-signature': rsaSig(rsa1.privateKey) }),
    )
    expect(outcome).toMatchObject({ ok: false, scheme: 'ghl-ed25519', code: 'invalid_signature' })
    const malformed = verifier.verify(
      request({ 'x-ghl-signature': 'junk', 'x-wh-signature': rsaSig(rsa1.privateKey) }),
    )
    expect(malformed).toMatchObject({ ok: false, scheme: 'ghl-ed25519', code: 'invalid_signature' })
  })

  it('uses Ed25519 when both headers are valid', () => {
    const outcome = verifier.verify(
      request({ 'x-ghl-signature': edSig(ed1.privateKey), 'x-wh-signature': rsaSig(rsa1.privateKey) }),
    )
    expect(outcome).toMatchObject({ ok: true, scheme: 'ghl-ed25519' })
  })

  it('rejects an invalid RSA signature', () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const outcome = verifier.verify(request({ 'x-ghl-signature': 'N/A', 'x-wh-signature': rsaSig(stranger) }))
    expect(outcome).toMatchObject({ ok: false, scheme: 'ghl-rsa', code: 'invalid_signature' })
    if (outcome.ok) throw new Error('unreachable')
    expect(outcome.message).toMatch(/^X-WH-Signature does not match the request body for any trusted RSA key/)
  })

  it('reports a missing signature when no header carries one', () => {
    for (const headers of [
      {},
      { 'x-ghl-signature': 'N/A', 'x-wh-signature': 'N/A' },
      { 'x-wh-signature': ' ' },
    ]) {
      expect(verifier.verify(request(headers))).toMatchObject({
        ok: false,
        scheme: 'ghl-ed25519',
        code: 'missing_signature',
      })
    }
  })

  it('never throws on malformed signatures and never echoes them', () => {
    const valid = edSig(ed1.privateKey)
    const validRsa = rsaSig(rsa1.privateKey)
    const malformed: IncomingHttpHeaders[] = [
      { 'x-ghl-signature': 'not base64!!' },
      { 'x-ghl-signature': valid.slice(0, 40) },
      { 'x-ghl-signature': `${valid}AAAA` },
      // Buffer.from(…, 'base64') would decode this to the valid signature and ignore the tail.
      { 'x-ghl-signature': `${valid}garbage` },
      { 'x-ghl-signature': Buffer.alloc(64).toString('base64') },
      { 'x-ghl-signature': [valid, valid] },
      { 'x-wh-signature': validRsa.slice(0, 100) },
      { 'x-wh-signature': '%%%' },
      { 'x-wh-signature': Buffer.alloc(256).toString('base64') },
      { 'x-wh-signature': Buffer.alloc(512).toString('base64') },
    ]
    for (const headers of malformed) {
      const outcome = verifier.verify(request(headers))
      expect(outcome, JSON.stringify(headers).slice(0, 60)).toMatchObject({
        ok: false,
        code: 'invalid_signature',
      })
      if (!outcome.ok) expect(outcome.message).not.toContain(valid.slice(0, 20))
    }
  })

  it('rejects RSA-only requests clearly when no RSA keys are configured', () => {
    const edOnly = createGhlVerifier({ ed25519: [trusted('ed25519', ed1.publicKey)], rsa: [] })
    const outcome = edOnly.verify(request({ 'x-wh-signature': rsaSig(rsa1.privateKey) }))
    expect(outcome).toMatchObject({ ok: false, scheme: 'ghl-rsa', code: 'invalid_signature' })
    if (!outcome.ok) expect(outcome.message).toContain('no RSA keys are configured')
  })

  it('works with keys from ghlTrustedKeys and lists its credential headers', () => {
    const fromEnv = createGhlVerifier(
      ghlTrustedKeys({
        GHL_ED25519_PUBLIC_KEYS: ed1.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      }),
    )
    expect(fromEnv.verify(request({ 'x-ghl-signature': edSig(ed1.privateKey) }))).toMatchObject({
      ok: true,
      keyId: keyId('ed25519', ed1.publicKey),
    })
    expect(fromEnv.verify(request({ 'x-ghl-signature': edSig(ed2.privateKey) })).ok).toBe(false)
    expect(fromEnv.scheme).toBe('ghl-ed25519')
    expect(fromEnv.credentialHeaders).toEqual(['x-ghl-signature', 'x-wh-signature'])
  })

  it('refuses to start without Ed25519 keys', () => {
    expect(() => createGhlVerifier({ ed25519: [], rsa: [] })).toThrow(KeyConfigError)
  })
})

describe('verifyAsync (thread pool)', () => {
  it('decides every case exactly as verify does', async () => {
    const stranger = generateKeyPairSync('ed25519').privateKey
    const cases: IncomingHttpHeaders[] = [
      { 'x-ghl-signature': edSig(ed1.privateKey) },
      { 'x-ghl-signature': edSig(ed2.privateKey) },
      { 'x-ghl-signature': edSig(ed2.privateKey) },
      { 'x-ghl-signature': edSig(stranger) },
      { 'x-ghl-signature': edSig(ed1.privateKey, Buffer.from('other bytes')) },
      { 'x-ghl-signature': 'not base64!' },
      { 'x-ghl-signature': 'AAAA' },
      { 'x-ghl-signature': 'N/A', 'x-wh-signature': rsaSig(rsa1.privateKey) },
      { 'x-ghl-signature': edSig(stranger), 'x-wh-signature': rsaSig(rsa1.privateKey) },
      { 'x-wh-signature': rsaSig(rsa2.privateKey) },
      {},
    ]
    for (const headers of cases) {
      expect(await verifier.verifyAsync!(request(headers))).toEqual(verifier.verify(request(headers)))
    }
  })
})

describe('KeyRing', () => {
  it('tries the key that matched last first', async () => {
    const { KeyRing } = await import('./key-match.js')
    const a = trusted('ed25519', ed1.publicKey)
    const b = trusted('ed25519', ed2.publicKey)
    const ring = new KeyRing([a, b])
    expect(ring.keys).toEqual([a, b])
    ring.promote(b)
    expect(ring.keys).toEqual([b, a])
    ring.promote(b)
    expect(ring.keys).toEqual([b, a])
  })
})
