import { misspeltPatterns } from '../catalog/event-patterns.js'
import { createTypeMapper, type TypeMapper } from '../catalog/rename.js'
import { ConfigError } from '../config-error.js'
import type { Env } from '../env-substitution.js'
import { coerceError } from '../errors.js'
import { ghlTrustedKeys, keyId, readGhlSigner } from '../verify/index.js'
import { formatIssues } from '../zod-issues.js'
import { type EnvConfig, envSchema } from './env.js'
import { type FileConfig, findConfigFile, loadConfigFile } from './file.js'
import { ghlSettingProblems } from './ghl-settings.js'
import { type ConfigWarning, envWarnings, sourceWarnings } from './warnings.js'

export { DEFAULT_DATABASE_URL, type EnvConfig } from './env.js'
export { configFileText, type FileConfig, type SourceConfig, type VerifyConfig } from './file.js'
export {
  type GhlAppSettings,
  type GhlTokenSettings,
  ghlAppSettings,
  ghlTokenSettings,
} from './ghl-settings.js'
export { type ConfigWarning, envWarnings } from './warnings.js'

/** Everything the gateway needs to start, validated once. */
export interface GatewayConfig extends EnvConfig {
  /** The config file that was read, if any. */
  configFile: string | undefined
  /** Where the default config file names were looked for (the working directory). */
  configSearchDir: string
  file: FileConfig
  /** Valid but unsafe or doubtful settings: logged at boot, shown by `doctor`. */
  warnings: readonly ConfigWarning[]
}

export interface LoadConfigOptions {
  env?: Env
  cwd?: string
  /** Command-line overrides (`--port`, `--database`, `--config`); they win over the environment. */
  overrides?: { port?: number; database?: string; config?: string; host?: string; role?: string }
}

/**
 * Reads the environment and the config file once, at boot. Fails fast with a `ConfigError` whose
 * message names every bad setting and what it should be.
 */
export function loadConfig(options: LoadConfigOptions = {}): GatewayConfig {
  const env = { ...(options.env ?? process.env) }
  const { overrides = {} } = options
  if (overrides.port !== undefined) env.PORT = String(overrides.port)
  if (overrides.database !== undefined) env.DATABASE_URL = overrides.database
  if (overrides.host !== undefined) env.HOST = overrides.host
  if (overrides.config !== undefined) env.GATEWAY_CONFIG = overrides.config
  if (overrides.role !== undefined) env.ROLE = overrides.role

  const parsed = envSchema.safeParse(env)
  if (!parsed.success) throw new ConfigError(`invalid environment: ${formatIssues(parsed.error.issues)}`)
  const ghlProblems = ghlSettingProblems(parsed.data)
  if (ghlProblems.length) throw new ConfigError(`invalid environment: ${ghlProblems.join('; ')}`)
  untrustedSampleKey(parsed.data)
  const configSearchDir = options.cwd ?? process.cwd()
  const configFile = findConfigFile(parsed.data.GATEWAY_CONFIG, configSearchDir)
  const file = loadConfigFile(configFile, env)
  let types: TypeMapper
  try {
    types = createTypeMapper(file.renames)
  } catch (error) {
    throw new ConfigError(`config file ${configFile}: renames: ${coerceError(error).message}`)
  }
  const misspelt = file.destinations.flatMap((destination, i) =>
    misspeltPatterns(destination, types).map((p) => `destinations.${i}.events.${p.index}: ${p.message}`),
  )
  if (misspelt.length) throw new ConfigError(`config file ${configFile}: ${misspelt.join('; ')}`)
  const warnings = [...envWarnings(env), ...sourceWarnings(file.sources)]
  return { ...parsed.data, configFile, configSearchDir, file, warnings }
}

/**
 * The console sends its samples through this gateway's own signature check: a key it does not
 * trust would have every send refused, so the gateway does not start with one.
 */
function untrustedSampleKey(env: EnvConfig): void {
  if (env.CONSOLE_SAMPLE_SIGNING_KEY === undefined) return
  try {
    const signer = readGhlSigner(env.CONSOLE_SAMPLE_SIGNING_KEY, 'CONSOLE_SAMPLE_SIGNING_KEY')
    if (ghlTrustedKeys(env)[signer.kind].some((key) => keyId(signer.kind, key.key) === signer.keyId)) return
    const list = signer.kind === 'rsa' ? 'GHL_RSA_PUBLIC_KEYS' : 'GHL_ED25519_PUBLIC_KEYS'
    throw new ConfigError(
      `CONSOLE_SAMPLE_SIGNING_KEY signs as ${signer.keyId}, which this gateway does not trust: add its public key to ${list}`,
    )
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError(`invalid environment: ${coerceError(error).message}`)
  }
}
