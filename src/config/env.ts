import { isIP } from 'node:net'
import { z } from 'zod'
import { isAllowEntry } from '../destinations/egress.js'
import { formatDuration, parseDuration } from '../duration.js'
import { privateTokenProblem } from '../ghl/private-tokens.js'
import { parseTokenKeys, type TokenKeyRing } from '../ghl/token-keys.js'
import { parseDatabaseUrl } from '../store/database-url.js'
import { readGhlSigner } from '../verify/index.js'

/**
 * Every environment variable the gateway reads, with its default, validated once at boot.
 * README's configuration table mirrors this list; keep them in step.
 */

/**
 * One variable: unset or blank takes `fallback`; any other text goes to `schema` as typed, and a value
 * it refuses stops the gateway with one sentence, `NAME must be <takes> (got "<text>")`. The sentence
 * is written here rather than by zod because zod's issue carries the value after coercion (`NaN` for
 * `PORT=eighty`), and the reader needs what they typed.
 */
function variable<T>(name: string, takes: string, schema: z.ZodType<T>, fallback: T) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text.trim() === '') return fallback
      const parsed = schema.safeParse(text)
      if (parsed.success) return parsed.data
      ctx.addIssue({ code: 'custom', message: `${name} must be ${takes} (got "${text}")` })
      return z.NEVER
    })
}

/** `250ms`, `30s`, `5m`, `24h`, `7d` or a bare number of milliseconds, as milliseconds. */
const durationText = z.string().transform(parseDuration).pipe(z.number())
/** `off` or `0` turns the feature off (null). */
const offOrDuration = z.union([z.literal(['off', '0']).transform(() => null), durationText])

const duration = (name: string, fallback: number) =>
  variable(name, 'a duration such as 30s, 5m or 24h', durationText, fallback)

const durationWithin = (name: string, minMs: number, maxMs: number, fallback: number) =>
  duration(name, fallback).refine((ms) => ms >= minMs && ms <= maxMs, {
    error: (issue) =>
      `${name} must be from ${formatDuration(minMs)} to ${formatDuration(maxMs)} (got ${formatDuration(issue.input as number)})`,
  })

const integer = (name: string, min: number, max: number, fallback: number) =>
  variable(name, `an integer from ${min} to ${max}`, z.coerce.number().int().min(min).max(max), fallback)

/** Case and surrounding spaces do not matter: `ROLE=Worker` is `worker`. */
const oneOf = <const T extends readonly [string, ...string[]]>(
  name: string,
  values: T,
  fallback: T[number],
) =>
  variable(
    name,
    `one of ${values.join(', ')}`,
    z.string().trim().toLowerCase().pipe(z.enum(values)),
    fallback,
  )

const nonEmpty = z
  .string()
  .optional()
  .transform((text) => (text === undefined || text.trim() === '' ? undefined : text.trim()))

/** What Fastify's trustProxy (proxy-addr) takes in a list: an address, a CIDR range, or a named range. */
function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true
  const [address = '', bits, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (bits === undefined) return true
  return /^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}

/** An absolute http(s) URL, without a trailing slash. */
const httpUrl = z
  .string()
  .trim()
  .transform((text, ctx) => {
    let url: URL | undefined
    try {
      url = new URL(text)
    } catch {}
    if (url && (url.protocol === 'https:' || url.protocol === 'http:')) return text.replace(/\/+$/, '')
    ctx.addIssue({ code: 'custom', message: 'not an http(s) URL' })
    return z.NEVER
  })

/**
 * GHL_TOKEN_KEY, parsed into keys (src/ghl/token-keys.ts). Its sentence never quotes the value:
 * it is a secret.
 */
const tokenKeys = z
  .string()
  .optional()
  .transform((text, ctx): TokenKeyRing | undefined => {
    if (text === undefined || text.trim() === '') return undefined
    const parsed = parseTokenKeys(text)
    if (!('problem' in parsed)) return parsed
    ctx.addIssue({ code: 'custom', message: parsed.problem })
    return z.NEVER
  })

/** GHL_PRIVATE_TOKEN: a secret, so its sentence never quotes it (private-tokens.ts). */
const privateToken = z
  .string()
  .optional()
  .transform((text, ctx): string | undefined => {
    if (text === undefined || text.trim() === '') return undefined
    const problem = privateTokenProblem(text.trim(), 'GHL_PRIVATE_TOKEN')
    if (problem === undefined) return text.trim()
    ctx.addIssue({ code: 'custom', message: problem })
    return z.NEVER
  })

/** A GHL location or company id as the gateway accepts one (GHL's are 20 letters and digits). */
export const GHL_OWNER_ID = /^[A-Za-z0-9_-]{1,100}$/

export const DEFAULT_GHL_API_URL = 'https://services.leadconnectorhq.com'

export const DEFAULT_DATABASE_URL = 'sqlite:./data/ghl-gateway.db'

export const envSchema = z.object({
  /** TCP port. @default 3000 */
  PORT: integer('PORT', 0, 65_535, 3000),
  /** Interface to bind. @default 0.0.0.0 (GHL must reach it; put TLS in front) */
  HOST: nonEmpty.transform((v) => v ?? '0.0.0.0'),
  /** `sqlite:<path>` or `postgres://…`. @default sqlite:./data/ghl-gateway.db */
  DATABASE_URL: nonEmpty
    .transform((v) => v ?? DEFAULT_DATABASE_URL)
    .superRefine((url, ctx) => {
      const target = parseDatabaseUrl(url)
      if ('problem' in target) ctx.addIssue({ code: 'custom', message: target.problem })
    }),
  /** SQLite only: `process` survives a process crash, `fsync` also a power loss. @default process */
  DURABILITY: oneOf('DURABILITY', ['process', 'fsync'], 'process'),
  /** PostgreSQL connection pool size per process. @default 10 */
  PG_POOL_SIZE: integer('PG_POOL_SIZE', 1, 1000, 10),
  /** `require`: reject unsigned GHL webhooks with 401. `off`: accept and store them as unverified (dev only). */
  GHL_SIGNATURE_MODE: oneOf('GHL_SIGNATURE_MODE', ['require', 'off'], 'require'),
  /** Extra trusted Ed25519 keys (comma-separated SPKI base64, raw 32-byte base64/hex, or PEM file paths). */
  GHL_ED25519_PUBLIC_KEYS: nonEmpty,
  /** Extra trusted RSA keys for the legacy X-WH-Signature (SPKI base64 or PEM file paths). */
  GHL_RSA_PUBLIC_KEYS: nonEmpty,
  /** Flag GHL events whose body `timestamp` is older than this. @default off (GHL retries for hours) */
  GHL_TIMESTAMP_WINDOW: variable(
    'GHL_TIMESTAMP_WINDOW',
    '"off" or a duration such as 5m or 24h',
    offOrDuration,
    null,
  ),
  /** Largest accepted body, also for chunked uploads. @default 1048576 (1 MiB) */
  MAX_BODY_BYTES: integer('MAX_BODY_BYTES', 1024, 64 * 1024 * 1024, 1024 * 1024),
  /** A request's headers and body must have arrived this long after its first byte, else 408. @default 30s */
  REQUEST_TIMEOUT: durationWithin('REQUEST_TIMEOUT', 100, 3_600_000, 30_000),
  /** How long an idle connection is kept open between requests. @default 65s (longer than load balancers' 60 s) */
  KEEP_ALIVE_TIMEOUT: durationWithin('KEEP_ALIVE_TIMEOUT', 100, 3_600_000, 65_000),
  /** Open connections per process; further ones are closed at once (and counted). @default 10000 */
  MAX_CONNECTIONS: integer('MAX_CONNECTIONS', 1, 1_000_000, 10_000),
  /** Answer 429 when more events than this wait to be processed; 0 disables. @default 100000 */
  BACKPRESSURE_HIGH_WATER: integer('BACKPRESSURE_HIGH_WATER', 0, 1_000_000_000, 100_000),
  /**
   * Operational events (`gateway.delivery.dead_lettered`, …): stored as events of the `gateway`
   * source and delivered to subscribers that name them (docs/operations.md). @default on
   */
  OPERATIONAL_EVENTS: oneOf('OPERATIONAL_EVENTS', ['on', 'off'], 'on'),
  /** Per type and subject: the first at once, the rest of this window counted into one event at its end. @default 5m */
  OPERATIONAL_EVENTS_WINDOW: durationWithin('OPERATIONAL_EVENTS_WINDOW', 1000, 86_400_000, 300_000),
  /** Operational events one process stores per minute at most; the rest wait, counted. @default 30 */
  OPERATIONAL_EVENTS_PER_MINUTE: integer('OPERATIONAL_EVENTS_PER_MINUTE', 1, 10_000, 30),
  /** Bearer token for /api/* (and the web console's login). Unset: the admin API answers 404. */
  ADMIN_TOKEN: nonEmpty,
  /**
   * How long a web console login lasts (the session cookie's expiry; sessions are not stored, so
   * this is the only way one ends besides changing ADMIN_TOKEN). @default 12h
   */
  CONSOLE_SESSION_TTL: durationWithin('CONSOLE_SESSION_TTL', 60_000, 30 * 86_400_000, 12 * 3_600_000),
  /**
   * A private key file (PEM, Ed25519 or RSA, as `ghl-gateway keys generate` writes) the web console's
   * catalog signs sample payloads with, to send them through this gateway's own receive path. Its
   * public key must be trusted (GHL_ED25519_PUBLIC_KEYS / GHL_RSA_PUBLIC_KEYS): checked at boot.
   * For test and staging gateways. @default none (the console offers no "send this sample")
   */
  CONSOLE_SAMPLE_SIGNING_KEY: nonEmpty.superRefine((path, ctx) => {
    if (path === undefined) return
    try {
      readGhlSigner(path, 'CONSOLE_SAMPLE_SIGNING_KEY')
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message })
    }
  }),
  /** pino level. @default info */
  LOG_LEVEL: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  /**
   * Trust X-Forwarded-* from proxies in front: `true` (any), `false`, a hop count, or the proxies'
   * addresses and CIDR ranges, comma-separated (also `loopback`, `linklocal`, `uniquelocal`).
   * @default false
   */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((text, ctx): boolean | number | string[] => {
      const value = text?.trim().toLowerCase() ?? ''
      if (value === '' || value === 'false') return false
      if (value === 'true') return true
      if (/^\d+$/.test(value)) return Number(value)
      const entries = value.split(',').map((entry) => entry.trim())
      const bad = entries.filter((entry) => !isProxyEntry(entry))
      if (bad.length === 0) return entries
      ctx.addIssue({
        code: 'custom',
        message:
          'TRUST_PROXY must be true, false, a hop count, or proxy addresses/CIDR ranges separated by commas ' +
          `(e.g. 10.0.0.0/8,loopback); not ${bad.map((entry) => `"${entry}"`).join(', ')}`,
      })
      return z.NEVER
    }),
  /** Config file (sources, destinations, renames, egress); default ./ghl-gateway.config.{yaml,yml,json} if present. */
  GATEWAY_CONFIG: nonEmpty,
  /** How long the first SIGTERM waits for in-flight work before closing. @default 10s */
  SHUTDOWN_TIMEOUT: duration('SHUTDOWN_TIMEOUT', 10_000),
  /** Most events written in one group-commit transaction. @default 512 */
  INGEST_BATCH_MAX: integer('INGEST_BATCH_MAX', 1, 10_000, 512),
  /**
   * How long a group commit may wait for requests still verifying their signature, so they join its
   * transaction instead of the next. @default 0 (commit on the next event-loop turn; under load
   * batches form by themselves while the previous commit runs)
   */
  INGEST_COMMIT_HOLD: duration('INGEST_COMMIT_HOLD', 0),
  /** `all`: take webhooks and run deliveries; `ingest`: webhooks only; `worker`: deliveries only. @default all */
  ROLE: oneOf('ROLE', ['all', 'ingest', 'worker'], 'all'),
  /** Deliveries running at once in this process (all subscribers). @default 32 */
  WORKER_CONCURRENCY: integer('WORKER_CONCURRENCY', 1, 10_000, 32),
  /** Lease beyond the longest handler/destination timeout before a silent worker's deliveries run elsewhere. @default 30s */
  WORKER_LEASE_GRACE: duration('WORKER_LEASE_GRACE', 30_000),
  /** Safety-net poll for due deliveries when nothing wakes the worker. @default 1s */
  WORKER_POLL_INTERVAL: duration('WORKER_POLL_INTERVAL', 1000),
  /**
   * Hosts, IP addresses or CIDR ranges destinations may reach although the SSRF guard refuses them
   * by default (loopback, private, link-local…), comma-separated; added to the config file's
   * `egress.allow`. @default none
   */
  EGRESS_ALLOW: z
    .string()
    .optional()
    .transform((text, ctx) => {
      const entries = (text ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
      const bad = entries.filter((entry) => !isAllowEntry(entry))
      if (bad.length) {
        ctx.addIssue({
          code: 'custom',
          message: `EGRESS_ALLOW entries must be host names, IP addresses or CIDR ranges (bad: ${bad.join(', ')})`,
        })
        return z.NEVER
      }
      return entries
    }),
  /** The GHL app's client id (marketplace: your app → Advanced Settings → Auth → Client Keys). */
  GHL_CLIENT_ID: nonEmpty,
  /** The app's client secret. Never logged, never answered. */
  GHL_CLIENT_SECRET: nonEmpty,
  /** GHL's API, where tokens are asked for. @default https://services.leadconnectorhq.com */
  GHL_API_URL: variable(
    'GHL_API_URL',
    'an http(s) URL such as https://services.leadconnectorhq.com',
    httpUrl,
    DEFAULT_GHL_API_URL,
  ),
  /**
   * Keys that encrypt GHL tokens at rest: 32 random bytes in base64, comma-separated; the first
   * encrypts, all decrypt (rotation). Required with GHL_CLIENT_ID. Never logged.
   */
  GHL_TOKEN_KEY: tokenKeys,
  /** The redirect URI registered with the app (the install flow's callback). */
  GHL_REDIRECT_URI: variable('GHL_REDIRECT_URI', 'an http(s) URL', httpUrl, undefined),
  /** The GHL app's id. @default the part of GHL_CLIENT_ID before its first "-" */
  GHL_APP_ID: variable(
    'GHL_APP_ID',
    'letters, digits, "_" or "-" (at most 100)',
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]{1,100}$/),
    undefined,
  ),
  /** A Private Integration Token for one location (with GHL_PRIVATE_TOKEN_LOCATION_ID). Never logged. */
  GHL_PRIVATE_TOKEN: privateToken,
  /** The location GHL_PRIVATE_TOKEN belongs to. */
  GHL_PRIVATE_TOKEN_LOCATION_ID: variable(
    'GHL_PRIVATE_TOKEN_LOCATION_ID',
    'a GHL location id: letters, digits, "_" or "-" (at most 100)',
    z.string().trim().regex(GHL_OWNER_ID),
    undefined,
  ),
  /** Refresh a GHL refresh token left unused this long (GHL's die after a year unused). @default 300d */
  GHL_REFRESH_TOKEN_MAX_IDLE: durationWithin(
    'GHL_REFRESH_TOKEN_MAX_IDLE',
    86_400_000,
    360 * 86_400_000,
    300 * 86_400_000,
  ),
  // --- GHL installs (src/api/install-routes.ts, src/ghl/installs.ts) ---
  /**
   * The scopes `/oauth/install` asks GHL for, space- or comma-separated (`contacts.readonly
   * contacts.write`): the ones your app's Advanced Settings → Auth lists. Without it `/oauth/install`
   * answers `ghl_install_not_configured`; `/oauth/callback` works either way.
   */
  GHL_SCOPES: variable(
    'GHL_SCOPES',
    'GHL scope names separated by spaces or commas, such as "contacts.readonly contacts.write"',
    z
      .string()
      .trim()
      .transform((text) => text.split(/[\s,]+/).filter(Boolean))
      .pipe(
        z
          .array(z.string().regex(/^[A-Za-z][A-Za-z0-9._/-]{0,99}$/))
          .min(1)
          .max(200),
      )
      .transform((scopes) => [...new Set(scopes)].join(' ')),
    undefined,
  ),
  /**
   * GHL's marketplace, where `/oauth/install` sends the installing admin: your white-label host
   * (`https://marketplace.leadconnectorhq.com`) if your users know that one.
   * @default https://marketplace.gohighlevel.com
   */
  GHL_MARKETPLACE_URL: variable(
    'GHL_MARKETPLACE_URL',
    'an http(s) URL such as https://marketplace.gohighlevel.com',
    httpUrl,
    'https://marketplace.gohighlevel.com',
  ),
  /**
   * Events of a location that uninstalled the GHL app (GHL keeps sending retries and stragglers):
   * always stored and flagged `location_uninstalled`; `skip` plans no deliveries for them (but the
   * gateway's own install tracking), `deliver` delivers them like any other. @default skip
   */
  GHL_UNINSTALLED_EVENTS: oneOf('GHL_UNINSTALLED_EVENTS', ['skip', 'deliver'], 'skip'),
  /**
   * GHL calls per location or company in any GHL_RATE_LIMIT_WINDOW, shared by every process on the
   * database. GHL allows 100; the 10 left over are for calls the gateway does not see and the fuzzy
   * edge of GHL's window. @default 90
   */
  GHL_RATE_LIMIT_BURST: integer('GHL_RATE_LIMIT_BURST', 1, 10_000, 90),
  /** The window GHL_RATE_LIMIT_BURST counts in (GHL's is 10 s). @default 10s */
  GHL_RATE_LIMIT_WINDOW: durationWithin('GHL_RATE_LIMIT_WINDOW', 1000, 3_600_000, 10_000),
  /** GHL calls per location or company per UTC day (GHL allows 200,000). @default 190000 */
  GHL_RATE_LIMIT_DAILY: integer('GHL_RATE_LIMIT_DAILY', 1, 100_000_000, 190_000),
  /**
   * How long a GHL call may wait for a slot about to free before its delivery is retried later
   * instead. @default 1s
   */
  GHL_RATE_LIMIT_MAX_WAIT: durationWithin('GHL_RATE_LIMIT_MAX_WAIT', 0, 10_000, 1000),
  /** Processed events (and their deliveries and attempts) are deleted after this; dead ones are kept. @default 30d */
  RETENTION: variable('RETENTION', '"off" or a duration such as 30d', offOrDuration, 30 * 86_400_000),
})

export type EnvConfig = z.output<typeof envSchema>
