import { generateKeyPairSync } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import { parsePublicKeyList } from '../../verify/index.js'
import { UsageError } from '../errors.js'
import { DEFAULT_KEYS_DIR, KEY_FILES, type KeyKind } from '../signing.js'
import { displayPath } from '../ui/display-path.js'

/**
 * `keys generate`: a test Ed25519 key pair (what GHL signs X-GHL-Signature with) and an RSA-2048
 * pair (the legacy X-WH-Signature; GHL's own is 4096-bit, 2048 is the smallest the gateway trusts),
 * and the env lines that make a gateway trust them. GHL's private key is not ours: this is how
 * signed traffic is tested locally.
 */

const ENV_NAME: Record<KeyKind, string> = {
  ed25519: 'GHL_ED25519_PUBLIC_KEYS',
  rsa: 'GHL_RSA_PUBLIC_KEYS',
}

interface KeyReport {
  kind: KeyKind
  privateKeyPath: string
  publicKeyPath: string
  /** Base64 SPKI DER: what the env variable takes. */
  publicKey: string
  keyId: string
}

/** Checks the public key with the parser the gateway uses at boot, and returns its key id. */
function trustedKeyId(kind: KeyKind, spkiBase64: string): string {
  const [key] = parsePublicKeyList(spkiBase64, kind, ENV_NAME[kind])
  return key!.id
}

function readPair(dir: string, kind: KeyKind): KeyReport {
  const publicKeyPath = join(dir, KEY_FILES[kind].publicKey)
  const privateKeyPath = join(dir, KEY_FILES[kind].privateKey)
  if (!existsSync(publicKeyPath)) {
    throw new UsageError(`no ${displayPath(publicKeyPath)}; run \`ghl-gateway keys generate\` first`)
  }
  const pem = readFileSync(publicKeyPath, 'utf8')
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '')
  return { kind, privateKeyPath, publicKeyPath, publicKey: body, keyId: trustedKeyId(kind, body) }
}

function generatePair(dir: string, kind: KeyKind): KeyReport {
  const { privateKey, publicKey } =
    kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519')
  const privateKeyPath = join(dir, KEY_FILES[kind].privateKey)
  const publicKeyPath = join(dir, KEY_FILES[kind].publicKey)
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  chmodSync(privateKeyPath, 0o600) // also when --force replaced a file that had wider permissions
  writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 })
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
  return { kind, privateKeyPath, publicKeyPath, publicKey: spki, keyId: trustedKeyId(kind, spki) }
}

function envLines(keys: readonly KeyReport[]): string[] {
  return keys.map((key) => `${ENV_NAME[key.kind]}=${key.publicKey}`)
}

function printKeys(keys: readonly KeyReport[], json: boolean, intro: string): void {
  if (json) {
    const env = Object.fromEntries(keys.map((k) => [ENV_NAME[k.kind], k.publicKey]))
    console.log(JSON.stringify({ keys, env }, null, 2))
    return
  }
  // Explanations on stderr, the env lines alone on stdout: `ghl-gateway keys env >> .env` works.
  console.error(intro)
  for (const key of keys) {
    console.error(
      `  ${key.kind.padEnd(8)} ${displayPath(key.privateKeyPath)} (private), ${displayPath(key.publicKeyPath)}  ${key.keyId}`,
    )
  }
  console.error(
    "Give the gateway these lines in its environment so it trusts them (GHL's own keys stay trusted):\n",
  )
  for (const line of envLines(keys)) console.log(line)
  console.error(
    '\nThen `ghl-gateway send ContactCreate` signs with ed25519.pem (`--sign rsa` with rsa.pem).' +
      '\nIf GHL_ED25519_PUBLIC_KEYS is already set, append the new key after a comma.',
  )
}

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description("Test signing keys standing in for GHL's (whose private key nobody has).")
    .addHelpText(
      'after',
      `
Examples:
  $ ghl-gateway keys generate
  $ env $(ghl-gateway keys env) ghl-gateway serve    # a gateway that trusts them`,
    )

  keys
    .command('generate')
    .description(
      'Write an Ed25519 and an RSA-2048 key pair (PEM; private keys 0600) and print the env lines.',
    )
    .option('-o, --out <dir>', 'directory for the keys', DEFAULT_KEYS_DIR)
    .option(
      '-f, --force',
      'replace existing keys (gateways that trust the old ones will refuse the new signatures)',
    )
    .option('--json', 'print paths, public keys and env values as JSON')
    .addHelpText(
      'after',
      `
Writes <dir>/ed25519.pem, ed25519.pub.pem, rsa.pem, rsa.pub.pem and prints
  GHL_ED25519_PUBLIC_KEYS=<base64 SPKI>
  GHL_RSA_PUBLIC_KEYS=<base64 SPKI>
for the gateway's environment. These are test keys: never use them for anything else.

Examples:
  $ ghl-gateway keys generate
  $ ghl-gateway keys generate --out /tmp/keys --force
  $ ghl-gateway keys generate >> .env

Environment: none.`,
    )
    .action((flags: { out: string; force?: boolean; json?: boolean }) => {
      const dir = resolve(flags.out)
      const files = (['ed25519', 'rsa'] as const).flatMap((kind) => [
        join(dir, KEY_FILES[kind].privateKey),
        join(dir, KEY_FILES[kind].publicKey),
      ])
      const existing = files.filter((file) => existsSync(file))
      if (existing.length && !flags.force) {
        throw new UsageError(
          `keys already exist in ${displayPath(dir)} (${existing.map((f) => relative(dir, f)).join(', ')}); ` +
            'use them (`ghl-gateway keys env` prints their env lines) or replace them with --force',
        )
      }
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      const reports = (['ed25519', 'rsa'] as const).map((kind) => generatePair(dir, kind))
      printKeys(reports, flags.json === true, `Wrote test signing keys to ${displayPath(dir)}:`)
    })

  keys
    .command('env')
    .description('Print the env lines that make a gateway trust keys written by `keys generate`.')
    .option('-d, --dir <dir>', 'directory holding the keys', DEFAULT_KEYS_DIR)
    .option('--json', 'print paths, public keys and env values as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ ghl-gateway keys env
  $ env $(ghl-gateway keys env) ADMIN_TOKEN=dev-token npm start

Environment: none.`,
    )
    .action((flags: { dir: string; json?: boolean }) => {
      const dir = resolve(flags.dir)
      const reports = (['ed25519', 'rsa'] as const).map((kind) => readPair(dir, kind))
      if (flags.json) return printKeys(reports, true, '')
      for (const line of envLines(reports)) console.log(line)
    })
}
