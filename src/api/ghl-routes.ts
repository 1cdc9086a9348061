import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { GatewayError } from '../errors.js'
import type { GhlApi, GhlCallRecord } from '../ghl/api-client.js'
import {
  GhlApiRetryableError,
  GhlNotInstalledError,
  GhlRateLimitedError,
  GhlReauthRequiredError,
  GhlTokenUnavailableError,
} from '../ghl/errors.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import { ghlRoutesSchema as schema } from './schemas/ghl.js'

export interface GhlRoutesOptions {
  /** Undefined: no GHL app configured (every call answers `ghl_not_configured`). */
  ghlApi: GhlApi | undefined
  access: AdminAccess
}

/**
 * POST /api/ghl/call — one GHL API call as a location or company, behind the admin token: what
 * `ghl-gateway ghl call` sends, to see what GHL answers a handler (status, body, rate-limit headers).
 * It goes through the same client as `ctx.ghl` (token, refresh, limits, Version table). GHL's answer
 * comes back whatever its status; only a call that could not be made is an error from the catalog.
 */
export async function ghlRoutes(app: FastifyInstance, options: GhlRoutesOptions): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  api.post('/api/ghl/call', { schema: schema.call }, async (request) => {
    const ghl = options.ghlApi
    if (!ghl) {
      throw new GatewayError(
        'ghl_not_configured',
        'no GHL app is configured: set GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_TOKEN_KEY, then restart',
      )
    }
    const { locationId, companyId, method, path, body, version } = request.body
    const target = locationId ?? { companyId: companyId as string }
    let record: GhlCallRecord | undefined
    const onCall = (call: GhlCallRecord) => {
      record = call
    }
    const client = ghl.for(target, { answerErrors: true, onCall })
    try {
      const answer = await client.request({ method, path, body, version })
      const rateLimit: Record<string, string> = {}
      for (const [name, value] of Object.entries(answer.headers))
        if (name.startsWith('x-ratelimit-') && typeof value === 'string') rateLimit[name] = value
      return {
        status: answer.status,
        version: record?.version ?? version ?? '',
        durationMs: record?.durationMs ?? 0,
        rateLimit,
        data: answer.data,
      }
    } catch (error) {
      throw catalogError(error)
    }
  })
}

/** A call that could not be made, as the error catalog says it. */
function catalogError(error: unknown): unknown {
  if (!(error instanceof Error)) return error
  if (error instanceof GhlNotInstalledError) return new GatewayError('ghl_not_installed', error.message)
  if (error instanceof GhlReauthRequiredError) return new GatewayError('ghl_reauth_required', error.message)
  if (error instanceof GhlRateLimitedError) {
    return new GatewayError('ghl_rate_limited', error.message, {
      retryAfter: Math.max(1, Math.ceil(error.retryAfterMs / 1000)),
    })
  }
  if (error instanceof GhlTokenUnavailableError || error instanceof GhlApiRetryableError)
    return new GatewayError('ghl_unavailable', error.message)
  return error
}
