import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { byName, CATALOG, type CatalogEntry, type TypeMapper } from '../catalog/index.js'
import { GatewayError } from '../errors.js'
import { requireAdmin } from './auth.js'

export interface CatalogRoutesOptions {
  adminToken: string | undefined
  types: TypeMapper
}

function entryJson(entry: CatalogEntry, types: TypeMapper) {
  return {
    name: entry.name,
    canonical: entry.canonical,
    type: types.toType(entry.canonical),
    typeValues: entry.typeValues,
    category: entry.category,
    level: entry.level,
    scopes: entry.scopes,
    since: entry.since,
    entity: entry.entity,
    tenant: entry.tenant,
  }
}

/** GET /api/catalog (every GHL event the gateway knows) and /api/catalog/:name (with its JSON Schema). */
export async function catalogRoutes(app: FastifyInstance, options: CatalogRoutesOptions): Promise<void> {
  const { types } = options
  app.addHook('onRequest', requireAdmin(options.adminToken))

  app.get('/api/catalog', async () => ({ data: CATALOG.map((entry) => entryJson(entry, types)) }))

  app.get<{ Params: { name: string } }>('/api/catalog/:name', async (request) => {
    const entry = byName(request.params.name)
    if (!entry)
      throw new GatewayError('not_found', `no GHL event named ${request.params.name}; see GET /api/catalog`)
    return { ...entryJson(entry, types), schema: z.toJSONSchema(entry.schema, { unrepresentable: 'any' }) }
  })
}
