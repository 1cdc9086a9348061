import { didYouMean } from '../did-you-mean.js'
import type { Env } from '../env-substitution.js'
import { envSchema } from './env.js'
import type { SourceConfig } from './file.js'

/**
 * Settings that are valid but unsafe or probably not what was meant. The gateway starts, logs each
 * as a warning at boot, and `ghl-gateway doctor` shows them as `warn` lines: one list, two readers.
 */
export interface ConfigWarning {
  /** What it is about; doctor's check name. */
  topic: 'signatures' | 'sources' | 'variables'
  message: string
  /** What to do about it. */
  fix: string
}

/**
 * Variables other programs never read but the CLI does, besides the gateway's own (`envSchema`).
 * A name close to one of these (and starting like one) is probably a typo.
 */
const CLI_VARIABLES = ['GHL_SIGNING_KEY']

const KNOWN_VARIABLES = [...Object.keys(envSchema.shape), ...CLI_VARIABLES]
/** `GHL_`, `WORKER_`, `PG_`, …: the first word of every known multi-word name. */
const KNOWN_PREFIXES = new Set(
  KNOWN_VARIABLES.filter((name) => name.includes('_')).map((name) => name.slice(0, name.indexOf('_') + 1)),
)

/**
 * From the environment alone (doctor reads these even when another setting is invalid).
 *
 * A misspelt variable cannot be refused: the environment is shared with the operating system, the
 * platform and, in library mode, the application, and a name we do not know may be theirs. So a
 * name is reported only when it starts like one of ours (`WORKER_…`) and is a few edits from one.
 */
export function envWarnings(env: Env): ConfigWarning[] {
  const warnings: ConfigWarning[] = []
  if (envSchema.shape.GHL_SIGNATURE_MODE.safeParse(env.GHL_SIGNATURE_MODE).data === 'off') {
    warnings.push({
      topic: 'signatures',
      message:
        'GHL_SIGNATURE_MODE=off: webhooks without a valid GHL signature are accepted (stored as unverified); anyone who can reach /webhooks/ghl can post events',
      fix: 'unset it (or set require) anywhere but local development',
    })
  }
  for (const name of Object.keys(env)) {
    if (env[name] === undefined || KNOWN_VARIABLES.includes(name)) continue
    const prefix = name.slice(0, name.indexOf('_') + 1)
    if (!KNOWN_PREFIXES.has(prefix)) continue
    const near = didYouMean(name, KNOWN_VARIABLES)
    if (near === undefined) continue
    warnings.push({
      topic: 'variables',
      message: `${name} is not a ghl-gateway setting and is ignored; ${near}`,
      fix: 'rename it (README, "Configuration", lists every variable)',
    })
  }
  return warnings
}

/** From the config file's sources. */
export function sourceWarnings(sources: readonly SourceConfig[]): ConfigWarning[] {
  const warnings: ConfigWarning[] = []
  for (const source of sources) {
    const { verify } = source
    if (verify.scheme === 'none') {
      warnings.push({
        topic: 'sources',
        message: `source ${source.id} has verify scheme none: anyone who knows its URL can post events to it`,
        fix: 'verify it with hmac-sha256, standard-webhooks, token or secret-url',
      })
    }
    // The HMAC covers the body (and the timestamp, when there is one), never the id header: without
    // a timestamp, a captured request sent again under a new id header is a new, valid event.
    if (
      verify.scheme === 'hmac-sha256' &&
      verify.style === 'plain' &&
      verify.timestampHeader === undefined &&
      source.idHeader !== undefined
    ) {
      warnings.push({
        topic: 'sources',
        message:
          `source ${source.id} takes its event id from the ${source.idHeader} header, which its HMAC does not sign, ` +
          `and signs no timestamp: a captured request sent again with a new ${source.idHeader} is accepted as a new event`,
        fix: 'sign a timestamp (timestampHeader, checked ±5 min), or take the id from the signed body (idField instead of idHeader)',
      })
    }
  }
  return warnings
}
