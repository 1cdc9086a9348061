import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { GHL_ED25519_PUBLIC_KEY_SPKI_BASE64, GHL_RSA_PUBLIC_KEY_PEM } from './ghl-keys.js'
import { ghlTrustedKeys, KeyConfigError, keyId, parsePublicKeyList } from './keys.js'

const ed = generateKeyPairSync('ed25519')
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const dir = mkdtempSync(join(tmpdir(), 'verify-keys-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const spkiBase64 = (key: KeyObject) => key.export({ type: 'spki', format: 'der' }).toString('base64')
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString()
// The last 32 bytes of an Ed25519 SPKI DER are the raw public key.
const rawEd25519 = ed.publicKey.export({ type: 'spki', format: 'der' }).subarray(-32)
const edId = keyId('ed25519', ed.publicKey)

function configError(run: () => unknown): KeyConfigError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(KeyConfigError)
    return error as KeyConfigError
  }
  throw new Error('expected a KeyConfigError')
}

describe('parsePublicKeyList', () => {
  it('accepts every supported Ed25519 format and gives them one id', () => {
    const file = join(dir, 'ed25519.pem')
    writeFileSync(file, pem(ed.publicKey))
    const formats = {
      spkiBase64: spkiBase64(ed.publicKey),
      rawBase64: rawEd25519.toString('base64'),
      rawBase64Unpadded: rawEd25519.toString('base64').replace(/=+$/, ''),
      rawHex: rawEd25519.toString('hex'),
      rawHexUpper: rawEd25519.toString('hex').toUpperCase(),
      inlinePem: pem(ed.publicKey),
      inlinePemEscaped: pem(ed.publicKey).replace(/\n/g, '\\n'),
      inlinePemOneLine: pem(ed.publicKey).replace(/\n/g, ' '),
      pemFile: file,
    }
    for (const [format, entry] of Object.entries(formats)) {
      const keys = parsePublicKeyList(entry, 'ed25519', 'TEST_KEYS')
      expect(
        keys.map((k) => k.id),
        format,
      ).toEqual([edId])
      expect(keys[0]!.key.equals(ed.publicKey), format).toBe(true)
    }
  })

  it('accepts RSA keys as SPKI base64, PEM, PKCS#1 PEM and PEM file', () => {
    const file = join(dir, 'rsa.pem')
    writeFileSync(file, pem(rsa.publicKey))
    const pkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()
    for (const entry of [spkiBase64(rsa.publicKey), pem(rsa.publicKey), pkcs1, file]) {
      const [key] = parsePublicKeyList(entry, 'rsa', 'TEST_KEYS')
      expect(key!.id).toMatch(/^rsa:[0-9a-f]{12}$/)
      expect(key!.key.equals(rsa.publicKey)).toBe(true)
    }
  })

  it('trims entries, skips blank ones and keeps order', () => {
    const other = generateKeyPairSync('ed25519').publicKey
    const value = ` ${spkiBase64(ed.publicKey)} , ,\n${spkiBase64(other)},`
    expect(parsePublicKeyList(value, 'ed25519', 'X').map((k) => k.id)).toEqual([
      edId,
      keyId('ed25519', other),
    ])
    expect(parsePublicKeyList(undefined, 'ed25519', 'X')).toEqual([])
    expect(parsePublicKeyList(' , ', 'rsa', 'X')).toEqual([])
  })

  it('rejects an RSA key in the Ed25519 list, naming the variable and the entry', () => {
    const value = `${spkiBase64(ed.publicKey)},${spkiBase64(rsa.publicKey)}`
    const error = configError(() => parsePublicKeyList(value, 'ed25519', 'GHL_ED25519_PUBLIC_KEYS'))
    expect(error.message).toMatch(
      /^GHL_ED25519_PUBLIC_KEYS entry 2 is an RSA public key \(rsa:[0-9a-f]{12}\)/,
    )
    expect(error.message).toContain('move it to the RSA key list')
    expect(error).toMatchObject({ source: 'GHL_ED25519_PUBLIC_KEYS', position: 2 })
  })

  it('rejects an Ed25519 key in the RSA list', () => {
    const error = configError(() => parsePublicKeyList(pem(ed.publicKey), 'rsa', 'GHL_RSA_PUBLIC_KEYS'))
    expect(error.message).toMatch(/^GHL_RSA_PUBLIC_KEYS entry 1 is an Ed25519 public key/)
  })

  it('rejects short RSA keys', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey
    const error = configError(() => parsePublicKeyList(pem(weak), 'rsa', 'K'))
    expect(error.message).toContain('1024-bit RSA key')
  })

  it('rejects private keys without echoing them', () => {
    const privatePem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const privateDer = ed.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')
    for (const entry of [privatePem, privatePem.replace(/\n/g, '\\n'), privateDer]) {
      const error = configError(() => parsePublicKeyList(entry, 'ed25519', 'K'))
      expect(error.message).toMatch(
        /^K entry 1 is a (PEM PRIVATE KEY|private key); configure only the public key/,
      )
      expect(error.message).not.toContain(privateDer.slice(16, 40))
    }
  })

  it('explains unreadable files, garbage and broken PEM', () => {
    const missing = join(dir, 'nope.pem')
    expect(configError(() => parsePublicKeyList(missing, 'ed25519', 'K')).message).toBe(
      `K entry 1 is not key material, and reading it as a file path (${missing}) failed with ENOENT; give a base64 SPKI key, an inline PEM, or the path of a readable PEM file`,
    )
    const garbage = 'not a key at all'
    const garbageError = configError(() => parsePublicKeyList(garbage, 'ed25519', 'K'))
    expect(garbageError.message).toContain('16 characters, not shown')
    expect(garbageError.message).not.toContain(garbage)
    const base64Garbage = Buffer.alloc(48, 7).toString('base64')
    expect(configError(() => parsePublicKeyList(base64Garbage, 'ed25519', 'K')).message).toMatch(
      /^K entry 1 is base64 \(64 characters\) but not an SPKI public key; re-copy/,
    )
    const truncatedPem = pem(ed.publicKey).split('-----END')[0]!
    expect(configError(() => parsePublicKeyList(truncatedPem, 'ed25519', 'K')).message).toContain(
      'no matching -----END',
    )
    const hexInRsaList = rawEd25519.toString('hex')
    expect(configError(() => parsePublicKeyList(hexInRsaList, 'rsa', 'K')).message).toContain('not an SPKI')
    const badFile = join(dir, 'bad.pem')
    writeFileSync(badFile, 'hello')
    expect(configError(() => parsePublicKeyList(badFile, 'ed25519', 'K')).message).toContain(
      `(file ${badFile})`,
    )
  })
})

describe('ghlTrustedKeys', () => {
  it('parses the built-in GHL keys', () => {
    const keys = ghlTrustedKeys({})
    expect(keys.ed25519.map((k) => k.id)).toEqual(['ghl-ed25519-builtin'])
    expect(keys.rsa.map((k) => k.id)).toEqual(['ghl-rsa-builtin'])
    expect(keys.ed25519[0]!.key.asymmetricKeyType).toBe('ed25519')
    expect(keys.rsa[0]!.key.asymmetricKeyDetails).toEqual({ modulusLength: 4096, publicExponent: 65537n })
  })

  it('puts the built-in key first, then extras, dropping a repeated built-in key', () => {
    const keys = ghlTrustedKeys({
      GHL_ED25519_PUBLIC_KEYS: `${GHL_ED25519_PUBLIC_KEY_SPKI_BASE64},${spkiBase64(ed.publicKey)}`,
      GHL_RSA_PUBLIC_KEYS: `${GHL_RSA_PUBLIC_KEY_PEM.replace(/\n/g, '\\n')},${spkiBase64(rsa.publicKey)}`,
    })
    expect(keys.ed25519.map((k) => k.id)).toEqual(['ghl-ed25519-builtin', edId])
    expect(keys.rsa.map((k) => k.id)).toEqual(['ghl-rsa-builtin', keyId('rsa', rsa.publicKey)])
  })

  it('fails on a bad extra key with the env var name', () => {
    const error = configError(() => ghlTrustedKeys({ GHL_ED25519_PUBLIC_KEYS: spkiBase64(rsa.publicKey) }))
    expect(error.message).toMatch(/^GHL_ED25519_PUBLIC_KEYS entry 1 is an RSA public key/)
  })
})
