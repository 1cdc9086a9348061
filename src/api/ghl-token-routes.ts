import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { GatewayError } from '../errors.js'
import type { GhlTokens } from '../ghl/tokens.js'
import { PRIVATE_TOKEN_APP_ID } from '../store/ghl-token-store.js'
import type { GhlTokenSummary, GhlUserType, Store } from '../store/types.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import {
  GHL_TOKEN_COUNT_CAP,
  type GhlTokenJson,
  type PrivateTokenKind,
  ghlTokenRoutesSchema as schema,
} from './schemas/ghl-tokens.js'

export interface GhlTokenRoutesOptions {
  store: Store
  access: AdminAccess
  /** The token engine; undefined without GHL_TOKEN_KEY (nothing can be stored). */
  ghlTokens: GhlTokens | undefined
}

const iso = (ms: number) => new Date(ms).toISOString()
const USER_TYPE: Record<PrivateTokenKind, GhlUserType> = { location: 'Location', company: 'Company' }

function tokenJson(row: GhlTokenSummary): GhlTokenJson {
  return {
    kind: row.appId === PRIVATE_TOKEN_APP_ID ? 'private' : 'oauth',
    appId: row.appId,
    userType: row.userType,
    ownerId: row.ownerId,
    companyId: row.companyId,
    status: row.status,
    statusReason: row.statusReason,
    refreshedAt: row.refreshedAt === null ? null : iso(row.refreshedAt),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  }
}

/**
 * GET /api/ghl/tokens (by status; what the console's "need re-authorising" list reads) and
 * PUT/DELETE /api/ghl/private-tokens/:kind/:id — behind the admin token. The token set is in the
 * body, stored encrypted, and in no answer or log line.
 */
export async function ghlTokenRoutes(app: FastifyInstance, options: GhlTokenRoutesOptions): Promise<void> {
  const { store, ghlTokens } = options
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  const engine = (): GhlTokens => {
    if (ghlTokens) return ghlTokens
    throw new GatewayError(
      'ghl_token_key_not_configured',
      'GHL tokens are stored encrypted and this gateway has no GHL_TOKEN_KEY: set it to 32 random bytes in base64 (`openssl rand -base64 32`), restart, and set the token again',
    )
  }

  api.get('/api/ghl/tokens', { schema: schema.list }, async (request) => {
    const { status, limit, cursor } = request.query
    const [page, counted] = await Promise.all([
      store.listGhlTokens({ status, limit, cursor }),
      store.countGhlTokens(status, GHL_TOKEN_COUNT_CAP + 1),
    ])
    return {
      data: page.items.map(tokenJson),
      nextCursor: page.nextCursor,
      count: Math.min(counted, GHL_TOKEN_COUNT_CAP),
      countCapped: counted > GHL_TOKEN_COUNT_CAP,
    }
  })

  api.put('/api/ghl/private-tokens/:kind/:id', { schema: schema.put }, async (request, reply) => {
    const { kind, id } = request.params
    const { created } = await engine().setPrivateToken(USER_TYPE[kind], id, request.body.token)
    request.log.info(
      { kind, id, created },
      `Private Integration Token of ${kind} ${id} ${created ? 'set' : 'replaced'}`,
    )
    if (created) return reply.status(201).send({ kind, id, status: 'active' as const })
    return reply.status(204).send(null)
  })

  api.delete('/api/ghl/private-tokens/:kind/:id', { schema: schema.remove }, async (request, reply) => {
    const { kind, id } = request.params
    if (!(await engine().removePrivateToken(USER_TYPE[kind], id))) {
      throw new GatewayError('not_found', `no Private Integration Token is set for ${kind} ${id}`)
    }
    request.log.info({ kind, id }, `Private Integration Token of ${kind} ${id} removed`)
    return reply.status(204).send(null)
  })
}
