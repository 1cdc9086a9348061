import { relative, resolve } from 'node:path'
import type { GatewayConfig } from '../config/index.js'
import { parseDatabaseUrl } from '../store/database-url.js'
import { ghlTrustedKeys } from '../verify/index.js'
import { VERSION } from '../version.js'
import { isTrusted, type SendKeyStatus, sendKeyStatus } from './signing.js'
import type { Style } from './ui/style.js'

/**
 * What `ghl-gateway serve` prints once it listens, when stdout is a terminal: where the
 * data is, where webhooks go, whether the admin API is on, which keys are trusted, and the next
 * command to try. Not printed when stdout is a pipe or a file: there the output stays JSON lines only.
 */
export interface ServeSummaryInput {
  config: GatewayConfig
  /** The address the server listens on, e.g. http://0.0.0.0:3000. */
  url: string
  /** The store as it names itself (passwords masked). */
  store: string
  style: Style
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export function serveSummary(input: ServeSummaryInput): string {
  const { config, style } = input
  const cwd = input.cwd ?? process.cwd()
  const local = localUrl(input.url)
  const sendKey = sendKeyStatus({ env: input.env, cwd })
  const rows: [string, string][] = [
    ['data', dataLine(config, input.store, cwd)],
    ['webhooks', webhooksLine(config, input.url, local)],
    [
      'admin API',
      config.ADMIN_TOKEN
        ? `on: ${local}/api/events, /metrics, /health (Authorization: Bearer $ADMIN_TOKEN)`
        : 'off: set ADMIN_TOKEN to turn on /api, /metrics, /health, `ghl-gateway events` and `tail`',
    ],
    ['keys', keysLine(config, sendKey)],
    [
      'signatures',
      config.GHL_SIGNATURE_MODE === 'off'
        ? style.yellow('NOT required (GHL_SIGNATURE_MODE=off): for local development only')
        : 'required: unsigned or wrongly signed GHL webhooks get 401',
    ],
  ]
  if (config.warnings.length) {
    const n = config.warnings.length
    rows.push(['warnings', style.yellow(`${n} (the "warn" log line${n === 1 ? '' : 's'} below)`)])
  }
  rows.push(['next', style.bold(nextStep(config, sendKey, local))])
  const width = Math.max(...rows.map(([label]) => label.length)) + 2
  return [
    style.bold(`ghl-gateway ${VERSION} is running`) +
      (config.ROLE === 'all' ? '' : ` (role ${config.ROLE})`) +
      style.dim('. Its log is JSON lines; Ctrl-C stops it.'),
    ...rows.map(([label, text]) => `  ${style.dim(label.padEnd(width))}${text}`),
    '',
  ].join('\n')
}

/** A wildcard bind is reached locally at the loopback address. */
function localUrl(url: string): string {
  return url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:')
}

function dataLine(config: GatewayConfig, store: string, cwd: string): string {
  const target = parseDatabaseUrl(config.DATABASE_URL)
  if (!('kind' in target) || target.kind === 'postgres') return `${store} (PostgreSQL)`
  const path = relative(cwd, resolve(cwd, target.path))
  const shown = path.startsWith('..') || target.path.startsWith('/') ? target.path : `./${path}`
  return `${shown} (SQLite${config.DURABILITY === 'fsync' ? ', fsync at every commit' : ''})`
}

function webhooksLine(config: GatewayConfig, url: string, local: string): string {
  if (config.ROLE === 'worker') return 'not taken here (ROLE=worker: this process only runs deliveries)'
  const everywhere = local !== url
  return (
    `${local}/webhooks/ghl` +
    (everywhere ? ' (every interface: point GHL at https://<your host>/webhooks/ghl, behind TLS)' : '')
  )
}

function keysLine(config: GatewayConfig, sendKey: SendKeyStatus): string {
  const keys = ghlTrustedKeys(config)
  // GHL's own key comes first in each list (ghlTrustedKeys); the rest are from the environment.
  const extra = [...keys.ed25519.slice(1), ...keys.rsa.slice(1)]
  const ids = extra.map((key) =>
    sendKey.state === 'ready' && key.id === sendKey.keyId ? `${key.id} (\`send\` signs with it)` : key.id,
  )
  return `GHL's published Ed25519 and RSA keys${ids.length ? `, and ${ids.join(', ')}` : ' only'}`
}

function nextStep(config: GatewayConfig, sendKey: SendKeyStatus, local: string): string {
  if (config.ROLE === 'worker') return 'ghl-gateway doctor'
  // `send` posts to 127.0.0.1:$PORT (3000) unless told otherwise.
  const portFlag = new URL(local).port === '3000' ? '' : ` --to ${local}/webhooks/ghl`
  if (config.GHL_SIGNATURE_MODE === 'off') {
    return `ghl-gateway send ContactCreate --sign none${portFlag}   (in another terminal)`
  }
  if (sendKey.state === 'missing') {
    return 'ghl-gateway keys generate, then restart with: env $(ghl-gateway keys env) ghl-gateway serve'
  }
  if (sendKey.state === 'unreadable') return 'ghl-gateway keys generate --force, then restart (see doctor)'
  if (!isTrusted(ghlTrustedKeys(config), sendKey)) {
    return 'restart with: env $(ghl-gateway keys env) ghl-gateway serve   (to trust the key `send` signs with)'
  }
  return `ghl-gateway send ContactCreate${portFlag}   (in another terminal)`
}
