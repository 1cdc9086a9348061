import { execFile } from 'node:child_process'
import { generateKeyPairSync, type KeyObject, randomBytes, sign, verify } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { ed25519Backend, verifyEd25519, verifyEd25519OpenSsl, verifyEd25519Sodium } from './ed25519-check.mjs'
import { Ed25519Thread } from './ed25519-thread.js'

const run = promisify(execFile)

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  return { publicKey, privateKey, raw: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url') }
}

function flipBit(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes)
  copy[index % copy.length]! ^= 1 << (index % 8)
  return copy
}

interface Case {
  body: Buffer
  signature: Buffer
  keys: Buffer[]
  keyObjects: KeyObject[]
}

/** Signed bodies of every size up to 4 kB, some tampered with, checked against one or two keys. */
function cases(count: number): Case[] {
  const signer = keyPair()
  const other = keyPair()
  return Array.from({ length: count }, (_, i) => {
    const body = randomBytes(i % 7 === 0 ? 0 : 1 + ((i * 131) % 4096))
    let signature: Buffer = sign(null, body, signer.privateKey)
    let signed: Buffer = body
    if (i % 4 === 1) signed = body.length ? flipBit(body, i) : Buffer.from('x')
    if (i % 4 === 2) signature = flipBit(signature, i)
    const order = i % 3 === 0 ? [other, signer] : i % 3 === 1 ? [signer] : [other]
    return {
      body: signed,
      signature,
      keys: order.map((k) => k.raw),
      keyObjects: order.map((k) => k.publicKey),
    }
  })
}

/** What node:crypto says: the index of the first key that verifies, or -1. */
function expected(c: Case): number {
  return c.keyObjects.findIndex((key) => verify(null, c.body, key, c.signature))
}

describe('Ed25519 checks', () => {
  it('run on libsodium here (a silent fallback to OpenSSL would cost ~27 µs per webhook)', () => {
    expect(ed25519Backend).toBe('libsodium')
  })

  it('libsodium, OpenSSL and node:crypto agree on valid, tampered and wrong-key signatures', () => {
    const all = cases(300)
    for (const c of all) {
      const want = expected(c)
      expect(c.keys.findIndex((k) => verifyEd25519(c.body, c.signature, k))).toBe(want)
      expect(c.keys.findIndex((k) => verifyEd25519OpenSsl(c.body, c.signature, k))).toBe(want)
    }
    // Every outcome occurs: first key, second key, no key.
    expect(new Set(all.map(expected))).toEqual(new Set([-1, 0, 1]))
  })

  it('reject a signature whose S is not reduced (S + L), as OpenSSL does', () => {
    const { privateKey, raw } = keyPair()
    const body = Buffer.from('{"type":"ContactCreate"}')
    const signature = sign(null, body, privateKey)
    const L = (1n << 252n) + 27742317777372353535851937790883648493n
    const s = BigInt(`0x${Buffer.from(signature.subarray(32)).reverse().toString('hex')}`) + L
    const malleated = Buffer.concat([
      signature.subarray(0, 32),
      Buffer.from(s.toString(16).padStart(64, '0'), 'hex').reverse(),
    ])
    expect(verifyEd25519Sodium(body, signature, raw)).toBe(true)
    expect(verifyEd25519Sodium(body, malleated, raw)).toBe(false)
    expect(verifyEd25519OpenSsl(body, malleated, raw)).toBe(false)
  })

  it('reject a small-order public key, which OpenSSL before 3.5 (Node 20) lets verify any body', () => {
    const identity = Buffer.alloc(32)
    identity[0] = 1
    const forged = Buffer.concat([identity, Buffer.alloc(32)])
    const body = Buffer.from('any body at all')
    expect(verifyEd25519Sodium(body, forged, identity)).toBe(false)
    // Why libsodium is preferred: OpenSSL 3.0 (Node 20) accepts this forgery; 3.5 (Node 24) refuses it.
    const [major = 0, minor = 0] = process.versions.openssl.split('.').map(Number)
    const refusesSmallOrder = major > 3 || (major === 3 && minor >= 5)
    expect(verifyEd25519OpenSsl(body, forged, identity)).toBe(!refusesSmallOrder)
  })

  it('answer false for a wrong-length signature or key instead of throwing', () => {
    const { privateKey, raw } = keyPair()
    const body = Buffer.from('{}')
    const signature = sign(null, body, privateKey)
    expect(verifyEd25519(body, signature.subarray(0, 63), raw)).toBe(false)
    expect(verifyEd25519(body, signature, raw.subarray(0, 31))).toBe(false)
  })
})

describe('Ed25519Thread', () => {
  const thread = new Ed25519Thread()
  afterAll(() => thread.close())

  it('gives node:crypto’s answer for every check of a concurrent burst', async () => {
    const all = cases(400)
    const answers = await Promise.all(all.map((c) => thread.check(c.body, c.signature, c.keys)))
    expect(answers).toEqual(all.map(expected))
  })

  it('answers bursts that span several event-loop turns', async () => {
    const all = cases(60)
    const answers: Promise<number>[] = []
    for (const c of all) {
      answers.push(thread.check(c.body, c.signature, c.keys))
      if (answers.length % 7 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    expect(await Promise.all(answers)).toEqual(all.map(expected))
  })

  it('answers the open checks on the event loop when the thread stops, then starts a new one', async () => {
    const own = new Ed25519Thread()
    const all = cases(200)
    const answers = Promise.all(all.map((c) => own.check(c.body, c.signature, c.keys)))
    // Let the batch reach the thread, then stop it before it can have answered all 200.
    await new Promise((resolve) => setImmediate(resolve))
    await own.close()
    expect(await answers).toEqual(all.map(expected))
    const again = cases(8)
    expect(await Promise.all(again.map((c) => own.check(c.body, c.signature, c.keys)))).toEqual(
      again.map(expected),
    )
    await own.close()
  })

  it('keeps a process alive while a check is open, and lets it exit when none is', async () => {
    const entry = fileURLToPath(new URL('../../dist/verify/ed25519-thread.js', import.meta.url))
    const script = `
      const { generateKeyPairSync, sign } = await import('node:crypto')
      const { ed25519Thread } = await import(${JSON.stringify(entry)})
      const { publicKey, privateKey } = generateKeyPairSync('ed25519')
      const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url')
      const body = Buffer.alloc(4096, 'x')
      const signature = sign(null, body, privateKey)
      // The second round finds the thread started and idle, and keeps it busy for ~100 ms: only
      // its open checks hold the process.
      const first = await ed25519Thread().check(body, signature, [raw])
      const checks = Array.from({ length: 2000 }, () => ed25519Thread().check(body, signature, [raw]))
      Promise.all(checks).then((all) => console.log('match', first, all.filter((m) => m === 0).length))
    `
    // A file, not `node -e`: eval mode keeps the process alive by itself, which would hide a bug.
    const dir = mkdtempSync(join(tmpdir(), 'ed25519-thread-'))
    const file = join(dir, 'check.mjs')
    writeFileSync(file, script)
    const started = Date.now()
    try {
      const { stdout } = await run(process.execPath, [file], { timeout: 10_000 })
      expect(stdout.trim()).toBe('match 0 2000')
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
