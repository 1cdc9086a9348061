import {
  configFileText,
  envWarnings,
  type GatewayConfig,
  type LoadConfigOptions,
  loadConfig,
} from '../../config/index.js'
import { ConfigError } from '../../config-error.js'
import { ed25519Backend } from '../../verify/ed25519-check.mjs'
import { ghlTrustedKeys, KeyConfigError } from '../../verify/index.js'
import { isTrusted, sendKeyStatus } from '../signing.js'
import type { Check } from './check.js'

/** Doctor checks of the settings: environment and config file, keys, boot warnings, admin token. */

const MIN_TOKEN_LENGTH = 16

export function checkConfig(options: LoadConfigOptions): { check: Check; config?: GatewayConfig } {
  try {
    const config = loadConfig(options)
    const sources = config.file.sources?.length ?? 0
    return {
      config,
      check: {
        name: 'config',
        status: 'ok',
        message: config.configFile
          ? `environment valid; ${configFileText(config.configFile, config.configSearchDir)} (${sources} extra source${sources === 1 ? '' : 's'})`
          : `environment valid; ${configFileText(undefined, config.configSearchDir)}: GHL only`,
      },
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return {
      check: {
        name: 'config',
        status: 'fail',
        message: error.message,
        fix: 'correct the setting named above, then run doctor again',
      },
    }
  }
}

/** The trusted keys, parsed exactly as the gateway does at boot; and whether `send`'s key is among them. */
export function checkKeys(env: NodeJS.ProcessEnv, cwd: string): Check[] {
  let keys: ReturnType<typeof ghlTrustedKeys>
  try {
    keys = ghlTrustedKeys(env)
  } catch (error) {
    if (!(error instanceof KeyConfigError)) throw error
    return [
      {
        name: 'keys',
        status: 'fail',
        message: error.message,
        fix: 'fix or remove that entry; `ghl-gateway keys env` prints valid test key lines',
      },
    ]
  }
  const ids = (list: { id: string }[]) => list.map((k) => k.id).join(', ')
  const checks: Check[] = [
    {
      name: 'keys',
      status: 'ok',
      message: `trusts ${keys.ed25519.length} Ed25519 key(s) (${ids(keys.ed25519)}) and ${keys.rsa.length} RSA key(s) (${ids(keys.rsa)})`,
    },
    ed25519Backend === 'libsodium'
      ? { name: 'ed25519', status: 'ok', message: 'Ed25519 signatures are checked with libsodium' }
      : {
          name: 'ed25519',
          status: 'warn',
          message:
            'sodium-native does not load here: Ed25519 signatures are checked with node:crypto (~1.6x the CPU)',
          fix: 'reinstall dependencies (`npm ci`) on the machine that runs the gateway; sodium-native ships prebuilt binaries for Linux, macOS and Windows',
        },
  ]
  const key = sendKeyStatus({ env, cwd })
  if (key.state === 'ready') {
    checks.push(
      isTrusted(keys, key)
        ? {
            name: 'test key',
            status: 'ok',
            message: `\`ghl-gateway send\` signs with ${key.keyId}, which this configuration trusts`,
          }
        : {
            name: 'test key',
            status: 'warn',
            message: `\`ghl-gateway send\` signs with ${key.keyId}, which this configuration does not trust`,
            fix: 'start the gateway with the lines from `ghl-gateway keys env` in its environment',
          },
    )
  } else if (key.state === 'unreadable') {
    checks.push({
      name: 'test key',
      status: 'warn',
      message: `${key.path} is not a readable Ed25519 or RSA private key`,
      fix: 'recreate it with `ghl-gateway keys generate --force`',
    })
  }
  return checks
}

/**
 * The warnings the gateway logs at boot (config/warnings.ts), as `warn` lines. When the settings do
 * not load, those that come from the environment alone.
 */
export function checkWarnings(config: GatewayConfig | undefined): Check[] {
  const warnings = config?.warnings ?? envWarnings(process.env)
  return warnings.map(({ topic, message, fix }) => ({ name: topic, status: 'warn', message, fix }))
}

export function checkAdminToken(config: GatewayConfig): Check {
  const token = config.ADMIN_TOKEN
  if (token === undefined) {
    return {
      name: 'admin API',
      status: 'info',
      message: 'disabled (ADMIN_TOKEN unset); `ghl-gateway events` needs it',
      fix: 'set ADMIN_TOKEN to a long random value to enable /api and /metrics',
    }
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    return {
      name: 'admin API',
      status: 'warn',
      message: `ADMIN_TOKEN is only ${token.length} characters`,
      fix: `use at least ${MIN_TOKEN_LENGTH} random characters, e.g. \`openssl rand -hex 24\``,
    }
  }
  return { name: 'admin API', status: 'ok', message: `enabled (ADMIN_TOKEN set, ${token.length} characters)` }
}
