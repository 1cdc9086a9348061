import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { benchDir } from './paths.js'

/**
 * Test signing keys for the benchmark. They stand in for GHL's private keys, which nobody outside
 * GHL has: the servers under test are configured with the matching public keys instead of GHL's
 * published ones. Generated once and cached under `bench/.keys/` (gitignored); delete the folder
 * to rotate them (the cached request files are keyed by the key fingerprint, so they follow).
 */
export interface BenchKeys {
  ed25519: {
    privateKey: KeyObject
    privatePem: string
    /** SPKI DER, base64: the format of GHL's published key and of `GHL_ED25519_PUBLIC_KEYS`. */
    publicSpkiB64: string
  }
  rsa: {
    privateKey: KeyObject
    privatePem: string
    publicPem: string
    /** Path of the public PEM file, handed to the guide baseline as `BENCH_RSA_PEM_PATH`. */
    publicPemPath: string
  }
  /** First 12 hex chars of sha256(ed25519 SPKI ‖ RSA SPKI); part of the request-cache key. */
  fingerprint: string
}

export const keysDir = join(benchDir, '.keys')

const files = {
  edPrivate: 'ed25519-private.pem',
  edPublic: 'ed25519-public.spki.b64',
  rsaPrivate: 'rsa4096-private.pem',
  rsaPublic: 'rsa4096-public.pem',
} as const

function generate(): void {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 })
  const ed = generateKeyPairSync('ed25519')
  const edSpki = ed.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
  writeFileSync(join(keysDir, files.edPrivate), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  })
  writeFileSync(join(keysDir, files.edPublic), `${edSpki}\n`)

  // GHL's legacy key is RSA-4096, e = 65537 (REFERENCE b.2); the cost of RSA verify scales with it.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 4096, publicExponent: 65537 })
  writeFileSync(join(keysDir, files.rsaPrivate), rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  })
  writeFileSync(join(keysDir, files.rsaPublic), rsa.publicKey.export({ type: 'spki', format: 'pem' }))
}

/** Loads the cached test keys, generating them on first use (RSA-4096 generation takes ~1 s). */
export function ensureBenchKeys(): BenchKeys {
  const complete = Object.values(files).every((f) => existsSync(join(keysDir, f)))
  if (!complete) {
    console.log(`[keys] generating test Ed25519 + RSA-4096 key pairs in ${keysDir}`)
    generate()
  }
  const edPrivatePem = readFileSync(join(keysDir, files.edPrivate), 'utf8')
  const publicSpkiB64 = readFileSync(join(keysDir, files.edPublic), 'utf8').trim()
  const rsaPrivatePem = readFileSync(join(keysDir, files.rsaPrivate), 'utf8')
  const publicPemPath = join(keysDir, files.rsaPublic)
  const rsaPublicPem = readFileSync(publicPemPath, 'utf8')

  const rsaSpki = createPublicKey(rsaPublicPem).export({ type: 'spki', format: 'der' })
  const fingerprint = createHash('sha256')
    .update(Buffer.from(publicSpkiB64, 'base64'))
    .update(rsaSpki)
    .digest('hex')
    .slice(0, 12)

  return {
    ed25519: { privateKey: createPrivateKey(edPrivatePem), privatePem: edPrivatePem, publicSpkiB64 },
    rsa: {
      privateKey: createPrivateKey(rsaPrivatePem),
      privatePem: rsaPrivatePem,
      publicPem: rsaPublicPem,
      publicPemPath,
    },
    fingerprint,
  }
}
