import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { byName, CATALOG, type CatalogEntry, type TypeMapper } from '../catalog/index.js'
import { GatewayError } from '../errors.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import { type CatalogEntryJson, catalogRoutesSchema as schema } from './schemas/catalog.js'

export interface CatalogRoutesOptions {
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  types: TypeMapper
}

function entryJson(entry: CatalogEntry, types: TypeMapper): CatalogEntryJson {
  return {
    name: entry.name,
    canonical: entry.canonical,
    type: types.toType(entry.canonical),
    typeValues: [...entry.typeValues],
    category: entry.category,
    level: entry.level,
    scopes: [...entry.scopes],
    since: entry.since,
    entity: entry.entity,
    tenant: entry.tenant,
  }
}

/** GET /api/catalog (every GHL event the gateway knows) and /api/catalog/:name (with its JSON Schema). */
export async function catalogRoutes(app: FastifyInstance, options: CatalogRoutesOptions): Promise<void> {
  const { types } = options
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  api.get('/api/catalog', { schema: schema.list }, async () => ({
    data: CATALOG.map((entry) => entryJson(entry, types)),
  }))

  api.get('/api/catalog/:name', { schema: schema.get }, async (request) => {
    const entry = byName(request.params.name)
    if (!entry)
      throw new GatewayError('not_found', `no GHL event named ${request.params.name}; see GET /api/catalog`)
    return { ...entryJson(entry, types), schema: z.toJSONSchema(entry.schema, { unrepresentable: 'any' }) }
  })
}
