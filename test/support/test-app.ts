import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto'
import { Writable } from 'node:stream'
import type { GatewayApp } from '../../src/app.js'
import type { Store } from '../../src/store/types.js'
import { assembleForTest } from './assembly.js'

export type StoreKind = 'sqlite' | 'postgres'

/** A test Ed25519 key pair plus the env line that makes a gateway trust it. */
export function testEd25519Key(): { privateKey: KeyObject; spki: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  return { privateKey, spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }
}

/** RSA-2048 keeps key generation fast; the verifier treats any size ≥ 2048 the same. */
export function testRsaKey(): { privateKey: KeyObject; spki: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { privateKey, spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') }
}

export function ed25519Signature(privateKey: KeyObject, body: string | Buffer): string {
  return sign(null, Buffer.from(body), privateKey).toString('base64')
}

export function rsaSignature(privateKey: KeyObject, body: string | Buffer): string {
  return sign('sha256', Buffer.from(body), privateKey).toString('base64')
}

/** A flat, GHL-shaped ContactCreate body with a fresh webhookId. */
export function contactCreate(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'ContactCreate',
    locationId: 've9EPM428h8vShlRW1KT',
    id: 'nmFmQEsNgz6AVpgLVUJ0',
    email: 'jane@example.com',
    firstName: 'Jane',
    appId: 'app_1',
    versionId: 'ver_1',
    timestamp: new Date().toISOString(),
    webhookId: randomUUID(),
    ...overrides,
  }
}

/** Log lines the app wrote, as text and parsed. */
export class LogCapture extends Writable {
  readonly lines: string[] = []
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    done()
  }
  get text(): string {
    return this.lines.join('\n')
  }
  json(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line))
  }
}

export interface TestApp {
  gateway: GatewayApp
  store: Store
  logs: LogCapture
  close(): Promise<void>
}

/**
 * A gateway app on a real, fresh database (SQLite file or PostgreSQL database), assembled as
 * `listen()` assembles it but not listening: drive it with `gateway.fastify.inject()`, or
 * `listen({ port: 0 })` for real-socket tests.
 */
export async function createTestApp(kind: StoreKind, env: Record<string, string> = {}): Promise<TestApp> {
  const assembly = await assembleForTest(
    kind,
    { LOG_LEVEL: 'info', PG_POOL_SIZE: '20', ...env },
    { destinations: { reloadIntervalMs: 0 } },
  )
  return { gateway: assembly.app, store: assembly.store, logs: assembly.logs, close: assembly.close }
}
