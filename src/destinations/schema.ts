import { z } from 'zod'
import { retryPolicy } from '../dispatch/retry-policy.js'
import { parseDuration } from '../duration.js'
import { coerceError } from '../errors.js'
import { strictObject } from '../strict-object.js'
import { decodeStandardSecret } from '../verify/standard-webhooks.js'
import { filterSchema } from './filter-schema.js'
import {
  HEADER_VALUE_RULE,
  headerName,
  headerValue,
  isHeaderValue,
  reservedHeaderProblem,
} from './headers.js'

/**
 * A destination: an HTTP endpoint that receives every matching event, signed, retried,
 * rate-limited and recorded. One schema validates the config file's `destinations:` entries and
 * the admin API's bodies (POST/PUT /api/destinations), so both accept exactly the same documents.
 *
 * ```yaml
 * destinations:
 *   - id: crm-sync
 *     url: https://crm.example.com/hooks/ghl
 *     events: [contact.*, opportunity.stage_changed]
 *     filter: { locationId: [loc_123], "data.tags": { contains: vip } }
 *     payload: envelope            # envelope | raw | template
 *     auth: { type: bearer, token: "${CRM_TOKEN}" }
 *     signing: { secrets: ["${CRM_WHSEC}"] }
 *     rateLimit: { perSecond: 20, concurrency: 4 }
 *     retry: { maxAttempts: 12, maxAge: 24h }
 * ```
 *
 * Durations are text (`250ms`, `15s`, `5m`, `24h`) or a number of seconds, like the rest of the
 * config file. Objects are strict: a misspelt key is an error, not a silently ignored setting.
 */

export const DESTINATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

const durationMs = (what: string, max?: number) =>
  z.union([z.number().nonnegative(), z.string()]).transform((value, ctx) => {
    const ms = typeof value === 'number' ? Math.round(value * 1000) : parseDuration(value)
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} must be a duration such as 15s, 5m or 24h` })
      return z.NEVER
    }
    if (max !== undefined && ms > max) {
      ctx.addIssue({ code: 'custom', message: `${what} must be at most ${max / 1000} s` })
      return z.NEVER
    }
    return ms
  })

const secretText = z.string().min(1).max(8192)
/** A secret sent as (part of) a header value. */
const secretHeaderValue = secretText.refine(isHeaderValue, HEADER_VALUE_RULE)
/** A header name a destination may set (`headers`, an apiKey's `header`). */
const configurableHeaderName = headerName.superRefine((name, ctx) => {
  const problem = reservedHeaderProblem(name)
  if (problem) ctx.addIssue({ code: 'custom', message: problem })
})

const httpUrl = z.string().transform((text, ctx) => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // Not echoed: the URL may carry its secret (in its query or path).
    ctx.addIssue({
      code: 'custom',
      message: 'not an absolute URL; write it in full, e.g. https://hooks.example.com/ghl',
    })
    return z.NEVER
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    ctx.addIssue({
      code: 'custom',
      message: `only http: and https: URLs can be delivered to (got ${url.protocol})`,
    })
    return z.NEVER
  }
  if (url.username || url.password) {
    ctx.addIssue({
      code: 'custom',
      message:
        'put credentials in auth (basic, bearer, apiKey), not in the URL, where logs and proxies see them',
    })
    return z.NEVER
  }
  if (url.hash) {
    ctx.addIssue({ code: 'custom', message: 'a URL fragment (#…) is never sent; remove it' })
    return z.NEVER
  }
  return url.toString()
})

export const authSchema = z.discriminatedUnion('type', [
  strictObject({ type: z.literal('bearer'), token: secretHeaderValue }),
  strictObject({ type: z.literal('apiKey'), header: configurableHeaderName, value: secretHeaderValue }),
  strictObject({
    type: z.literal('basic'),
    username: z.string().min(1).max(512),
    password: z.string().max(8192),
  }),
  strictObject({
    type: z.literal('oauth2'),
    /** OAuth 2.0 client credentials grant (RFC 6749 §4.4). */
    tokenUrl: httpUrl,
    clientId: z.string().min(1).max(1024),
    clientSecret: secretText,
    scope: z.string().max(2048).optional(),
    audience: z.string().max(2048).optional(),
    /** How the client authenticates to the token endpoint. @default basic (RFC 6749 §2.3.1) */
    clientAuth: z.enum(['basic', 'body']).default('basic'),
  }),
])
export type DestinationAuth = z.output<typeof authSchema>

/** `whsec_` + base64 of 24–64 random bytes, as the Standard Webhooks spec writes secrets. */
const signingSecret = secretText.superRefine((secret, ctx) => {
  let bytes: Buffer
  try {
    bytes = decodeStandardSecret(secret, 'the signing secret')
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be "whsec_" followed by base64 key bytes' })
    return
  }
  if (bytes.length < 24 || bytes.length > 64) {
    ctx.addIssue({
      code: 'custom',
      message: `must decode to 24–64 bytes (got ${bytes.length}); generate one with: echo whsec_$(openssl rand -base64 32)`,
    })
  }
})

export const circuitBreakerSchema = strictObject({
  /** Share of failed attempts in the window that opens the circuit. @default 1 (every attempt failed) */
  failureRate: z.number().gt(0).max(1).default(1),
  /** @default 5m */
  window: durationMs('circuitBreaker.window').default(300_000),
  /** Attempts the window must hold before it can open. @default 20 */
  minAttempts: z.number().int().min(1).default(20),
  /** Time open before a probe; doubles after each failed probe. @default 30s */
  cooldown: durationMs('circuitBreaker.cooldown').default(30_000),
  /** @default 10m */
  maxCooldown: durationMs('circuitBreaker.maxCooldown').default(600_000),
})
export type CircuitBreakerConfig = z.output<typeof circuitBreakerSchema>

export const destinationSchema = strictObject({
  id: z
    .string()
    .regex(DESTINATION_ID, 'destination ids are 1–64 letters, digits, ".", "-" or "_" (they appear in URLs)'),
  description: z.string().max(500).optional(),
  url: httpUrl,
  /**
   * Patterns: a GHL doc name, a canonical or renamed type, a prefix wildcard (`contact.*`), `unknown`,
   * `*` (every webhook), an operational event's type or `gateway.*` (docs/operations.md).
   */
  events: z.array(z.string().min(1).max(128)).min(1, 'list at least one event pattern (or "*")'),
  /** Only events from these sources. @default every source */
  sources: z.array(z.string().min(1).max(63)).min(1).optional(),
  filter: filterSchema.optional(),
  /** @default envelope */
  payload: z.enum(['envelope', 'raw', 'template']).default('envelope'),
  /** For `payload: template`: any JSON value; `{{path}}` placeholders over the envelope. */
  template: z.json().optional(),
  /** @default POST */
  method: z.preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase() : v),
    z.enum(['POST', 'PUT', 'PATCH', 'DELETE', 'GET']).default('POST'),
  ),
  headers: z
    .record(headerName, headerValue)
    .default({})
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        const problem = reservedHeaderProblem(name)
        if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem })
      }
    })
    .transform((headers) =>
      Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    ),
  /**
   * Custom headers whose values are not secret: the admin API shows them. It shows every other
   * header value as `***`. @default none
   */
  publicHeaders: z.array(headerName).optional(),
  /** Body encoding for envelope and template payloads. @default json */
  contentType: z.enum(['json', 'form']).default('json'),
  auth: authSchema.optional(),
  signing: strictObject({ secrets: z.array(signingSecret).min(1).max(10) }).optional(),
  rateLimit: strictObject({
    /** Sustained requests per second (per gateway process). @default unlimited */
    perSecond: z.number().positive().max(100_000).optional(),
    /** Requests that may start at once after an idle spell. @default a tenth of perSecond, at least 1 */
    burst: z.number().int().min(1).max(100_000).optional(),
    /**
     * Requests in flight at once (per gateway process). @default 32: with 10, a receiver answering in
     * 10 ms capped delivery at 1,000/s, and every ms of event-loop delay on a busy gateway lowered it.
     */
    concurrency: z.number().int().min(1).max(1000).default(32),
  }).default({ concurrency: 32 }),
  retry: strictObject({
    maxAttempts: z.number().int().min(1).max(100).optional(),
    maxAge: durationMs('retry.maxAge').optional(),
    minDelay: durationMs('retry.minDelay').optional(),
    maxDelay: durationMs('retry.maxDelay').optional(),
  }).default({}),
  /** Hard limit per attempt: connect, send, response headers and body. @default 15s */
  timeout: durationMs('timeout', 300_000)
    .refine((ms) => ms >= 10, 'timeout must be at least 10ms')
    .default(15_000),
  /** `entity`: one delivery per entity (e.g. per contact) at a time, in receive order. */
  ordered: z.literal('entity').optional(),
  /** How much of each response body is saved with the attempt. @default 4096 */
  responseBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(1024 * 1024)
    .default(4096),
  /** `false` turns the breaker off. @default { failureRate: 1, window: 5m, minAttempts: 20, cooldown: 30s } */
  circuitBreaker: z
    .union([z.literal(false), circuitBreakerSchema])
    .default(() => circuitBreakerSchema.parse({})),
  /** `false`: no deliveries are created for new events and none are sent. @default true */
  enabled: z.boolean().default(true),
}).superRefine((d, ctx) => {
  if (d.payload === 'template' && d.template === undefined) {
    ctx.addIssue({ code: 'custom', path: ['template'], message: 'payload: template needs a template' })
  }
  if (d.payload !== 'template' && d.template !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['template'],
      message: 'template is used only with payload: template',
    })
  }
  if (d.payload === 'raw' && d.contentType !== 'json') {
    ctx.addIssue({
      code: 'custom',
      path: ['contentType'],
      message:
        'payload: raw sends the original bytes with their original Content-Type; contentType does not apply',
    })
  }
  if (d.payload === 'raw' && d.method === 'GET') {
    ctx.addIssue({
      code: 'custom',
      path: ['method'],
      message: 'GET sends no body; use payload envelope or template',
    })
  }
  if (d.auth && 'authorization' in d.headers && d.auth.type !== 'apiKey') {
    ctx.addIssue({
      code: 'custom',
      path: ['headers'],
      message: 'auth sets Authorization; remove it from headers',
    })
  }
  for (const [index, name] of (d.publicHeaders ?? []).entries()) {
    if (!Object.hasOwn(d.headers, name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicHeaders', index],
        message: `${name} is not one of headers; list only headers this destination sets`,
      })
    }
  }
  if (d.auth?.type === 'apiKey' && Object.hasOwn(d.headers, d.auth.header)) {
    ctx.addIssue({
      code: 'custom',
      path: ['headers'],
      message: `auth sets ${d.auth.header}; remove it from headers`,
    })
  }
  try {
    retryPolicy(d.retry)
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['retry'], message: coerceError(error).message })
  }
  if (d.rateLimit.burst !== undefined && d.rateLimit.perSecond === undefined) {
    ctx.addIssue({ code: 'custom', path: ['rateLimit', 'burst'], message: 'burst needs perSecond' })
  }
})

export type DestinationInput = z.input<typeof destinationSchema>
export type DestinationDefinition = z.output<typeof destinationSchema>
