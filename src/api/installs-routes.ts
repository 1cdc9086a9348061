import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { GatewayError } from '../errors.js'
import type { GhlInstallation, Store } from '../store/types.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import { type InstallJson, installsRoutesSchema as schema } from './schemas/installs.js'

/**
 * GET /api/installs, GET /api/installs/:kind/:id and PATCH /api/installs/location/:id — the GHL
 * app's installations registry, behind the admin token. Token state is shown, tokens never are.
 * Without a GHL app configured they answer not_found, saying so.
 */

export interface InstallsRoutesOptions {
  store: Store
  access: AdminAccess
  /** The GHL app's id; undefined when no app is configured. */
  appId: string | undefined
  /** A tenant id changed: the in-memory copy (envelopes) reads again. */
  onTenantChanged?: () => Promise<void>
  now?: () => number
}

const iso = (ms: number) => new Date(ms).toISOString()

export function installJson(row: GhlInstallation): InstallJson {
  return {
    kind: row.userType === 'Company' ? 'company' : 'location',
    id: row.ownerId,
    companyId: row.companyId,
    status: row.uninstalledAt === null ? 'installed' : 'uninstalled',
    installedAt: iso(row.installedAt),
    uninstalledAt: row.uninstalledAt === null ? null : iso(row.uninstalledAt),
    bulk: row.bulk,
    tenantId: row.tenantId,
    updatedAt: iso(row.updatedAt),
    token: row.token && {
      status: row.token.status,
      statusReason: row.token.statusReason,
      scopes: row.token.scopes.split(' ').filter(Boolean),
      expiresAt: row.token.expiresAt === null ? null : iso(row.token.expiresAt),
      refreshedAt: row.token.refreshedAt === null ? null : iso(row.token.refreshedAt),
    },
  }
}

export async function installsRoutes(app: FastifyInstance, options: InstallsRoutesOptions): Promise<void> {
  const { store } = options
  const now = options.now ?? Date.now
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))
  const appId = () => {
    if (options.appId === undefined) {
      throw new GatewayError(
        'not_found',
        'no GHL app is configured: set GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_TOKEN_KEY (docs/ghl-apps.md)',
      )
    }
    return options.appId
  }
  const owner = (kind: 'location' | 'company', id: string) => ({
    appId: appId(),
    userType: kind === 'company' ? ('Company' as const) : ('Location' as const),
    ownerId: id,
  })

  api.get('/api/installs', { schema: schema.list }, async (request) => {
    const { status, needsReauth, company, limit, cursor } = request.query
    const page = await store.listGhlInstallations({
      appId: appId(),
      limit,
      cursor,
      status,
      needsReauth: needsReauth || undefined,
      companyId: company,
    })
    return { data: page.items.map(installJson), nextCursor: page.nextCursor }
  })

  api.get('/api/installs/:kind/:id', { schema: schema.get }, async (request) => {
    const { kind, id } = request.params
    const row = await store.getGhlInstallation(owner(kind, id))
    if (!row) throw new GatewayError('not_found', `the GHL app was never installed on ${kind} ${id}`)
    return installJson(row)
  })

  api.patch('/api/installs/location/:id', { schema: schema.setTenant }, async (request) => {
    const row = await store.setGhlInstallationTenant(
      owner('location', request.params.id),
      request.body.tenantId,
      now(),
    )
    if (!row) {
      throw new GatewayError(
        'not_found',
        `the GHL app was never installed on location ${request.params.id}; GET /api/installs lists the installations`,
      )
    }
    await options.onTenantChanged?.()
    return installJson(row)
  })
}
