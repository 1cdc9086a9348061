import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ConfigError } from '../config-error.js'
import { egressSchema } from '../destinations/egress.js'
import { headerName } from '../destinations/headers.js'
import { destinationSchema } from '../destinations/schema.js'
import { parseDuration } from '../duration.js'
import { type Env, substituteEnv } from '../env-substitution.js'
import { coerceError } from '../errors.js'
import { strictObject } from '../strict-object.js'
import { formatIssues } from '../zod-issues.js'

/**
 * The config file (`ghl-gateway.config.yaml|yml|json`): what cannot live in a flat environment —
 * extra webhook sources, destinations, the egress allow-list and type renames. Strings may reference
 * environment variables as `${NAME}` so secrets stay out of the file.
 */

const DEFAULT_FILES = ['ghl-gateway.config.yaml', 'ghl-gateway.config.yml', 'ghl-gateway.config.json']

const durationText = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value * 1000 : parseDuration(value)
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 300s or 5m (got "${value}")` })
    return z.NEVER
  }
  return ms
})

/** A secret is a string, or `{ id, value }` when you want a readable key id recorded with each event. */
const secret = z.union([
  z.string().min(1),
  strictObject({ id: z.string().min(1).max(64), value: z.string().min(1) }),
])
const secrets = z.array(secret).min(1, 'list at least one secret')

export const verifyConfigSchema = z.discriminatedUnion('scheme', [
  strictObject({
    scheme: z.literal('hmac-sha256'),
    header: headerName,
    prefix: z.string().optional(),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    secrets,
    timestampHeader: headerName.optional(),
    tolerance: durationText.optional(),
    signedPayload: z.string().optional(),
    style: z.enum(['plain', 'stripe']).default('plain'),
  }),
  strictObject({
    scheme: z.literal('standard-webhooks'),
    secrets,
    tolerance: durationText.optional(),
    headerPrefix: z.enum(['webhook', 'svix']).default('webhook'),
  }),
  strictObject({
    scheme: z.literal('token'),
    header: headerName.default('authorization'),
    tokenScheme: z.enum(['bearer', 'basic', 'raw']).default('bearer'),
    tokens: secrets,
  }),
  strictObject({ scheme: z.literal('secret-url'), tokens: secrets }),
  /** Unauthenticated: anyone who knows the URL can post. Allowed, with a warning at boot. */
  strictObject({ scheme: z.literal('none') }),
])

export type VerifyConfig = z.output<typeof verifyConfigSchema>

export const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/

export const sourceConfigSchema = strictObject({
  id: z
    .string()
    .regex(SOURCE_ID, 'source ids are 1–63 lower-case letters, digits, "-" or "_" (they appear in the URL)')
    .refine(
      (id) => id !== 'ghl',
      '"ghl" is the built-in GoHighLevel source; configure it with GHL_* variables',
    )
    .refine(
      (id) => id !== 'gateway',
      '"gateway" is the source of the gateway\'s own operational events (docs/operations.md); choose another id',
    ),
  verify: verifyConfigSchema,
  /** Body formats accepted. @default ['json', 'form'] */
  contentTypes: z
    .array(z.enum(['json', 'form']))
    .min(1)
    .default(['json', 'form']),
  /** Header carrying the sender's event id (the dedupe key). */
  idHeader: headerName.optional(),
  /**
   * Dotted path of the sender's event id inside the body (the dedupe key), e.g. `id` or `event.id`.
   * For an array body it is read from every item, and the key covers all of them.
   */
  idField: z.string().min(1).optional(),
  /** Dotted path of the sender's event type inside the body (stored as the event's type), e.g. `type`. */
  typeField: z.string().min(1).optional(),
})

export type SourceConfig = z.output<typeof sourceConfigSchema>

export const fileConfigSchema = strictObject({
  sources: z.array(sourceConfigSchema).default([]),
  /** Canonical event type → the type this gateway publishes, e.g. `contact.created: myapp.contact.ingested`. */
  renames: z.record(z.string(), z.string()).default({}),
  /** HTTP endpoints that receive matching events (src/destinations/schema.ts). */
  destinations: z.array(destinationSchema).default([]),
  /** The SSRF guard's allow-list for destinations: hosts, IPs, CIDR ranges. */
  egress: egressSchema,
}).superRefine((config, ctx) => {
  const destinationIds = new Set<string>()
  config.destinations.forEach((destination, index) => {
    if (destinationIds.has(destination.id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['destinations', index, 'id'],
        message: `duplicate destination id "${destination.id}"`,
      })
    }
    destinationIds.add(destination.id)
  })
  const seen = new Set<string>()
  config.sources.forEach((source, index) => {
    if (seen.has(source.id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sources', index, 'id'],
        message: `duplicate source id "${source.id}"`,
      })
    }
    seen.add(source.id)
  })
})

export type FileConfig = z.output<typeof fileConfigSchema>

/**
 * Which config file a process reads, or where it looked for one: how a gateway started from the
 * wrong directory shows, in its boot log and in `doctor`.
 */
export function configFileText(configFile: string | undefined, searchDir: string): string {
  return configFile
    ? `config file ${configFile}`
    : `no config file (looked for ${DEFAULT_FILES.join(', ')} in ${searchDir}; set GATEWAY_CONFIG or --config)`
}

export function findConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit) {
    const path = resolve(cwd, explicit)
    if (!existsSync(path))
      throw new ConfigError(`config file ${path} does not exist (from --config or GATEWAY_CONFIG)`)
    return path
  }
  return DEFAULT_FILES.map((name) => resolve(cwd, name)).find((path) => existsSync(path))
}

export function loadConfigFile(path: string | undefined, env: Env): FileConfig {
  if (!path) return fileConfigSchema.parse({})
  let document: unknown
  try {
    const text = readFileSync(path, 'utf8')
    document = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    const message = coerceError(err).message
    // `token: ${X}` inside `{ … }` or `[ … ]`: YAML reads the braces as a nested mapping.
    const hint = /flow-map-start|flow-seq-start/.test(message)
      ? // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file syntax is the subject
        ' (a ${NAME} reference inside { } or [ ] must be quoted: "${NAME}")'
      : ''
    throw new ConfigError(`config file ${path} could not be read: ${withoutExcerpt(message)}${hint}`)
  }
  const result = fileConfigSchema.safeParse(substituteEnv(document ?? {}, env))
  if (!result.success) throw new ConfigError(`config file ${path}: ${formatIssues(result.error.issues)}`)
  return result.data
}

/**
 * A parse error's message without the excerpt of the file it quotes, which may hold a secret:
 * yaml ends with `at line 3, column 10:` and the line itself; JSON.parse may quote the text
 * (`Unexpected token 'S', ..."…"... is not valid JSON`).
 */
function withoutExcerpt(message: string): string {
  const json = message.replace(/, .* is not valid JSON$/s, ' (not valid JSON)')
  return json.split('\n')[0]!.replace(/:$/, '')
}
