import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { VERSION } from '../version.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import { checkDocumentedStatus, serializerCompiler, validatorCompiler } from './contract.js'
import { SESSION_COOKIE } from './session-cookie.js'

export interface OpenApiOptions {
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  /**
   * Check every admin answer against its schema and its route's listed statuses; a mismatch is a
   * 500 naming the field. For tests: in production answers are sent as built. @default false
   */
  checkResponses?: boolean
}

/**
 * Makes the admin routes' zod schemas the contract: requests validated by them, the OpenAPI 3.1
 * document generated from them and served at GET /api/openapi.json (admin token; committed as
 * docs/openapi.json, `npm run openapi`). Call before the admin routes are registered: they need its
 * compilers (their schemas are zod), and the document collects routes as they are added. Only
 * tagged routes are in it: the admin API's.
 */
export function registerOpenApi(app: FastifyInstance, options: OpenApiOptions): void {
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler(options.checkResponses === true))
  if (options.checkResponses) checkDocumentedStatus(app)
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ghl-gateway admin API',
        version: VERSION,
        description:
          "Events, deliveries, the dead-letter queue, replay, destinations, the event catalog and the live stream of a ghl-gateway. Every route takes `Authorization: Bearer <ADMIN_TOKEN>`, or the web console's session cookie (`POST /api/session`); without ADMIN_TOKEN the API does not exist (404). Errors are `{ error: { code, message, requestId } }` with a code from the catalog (docs/errors.md).",
      },
      components: {
        securitySchemes: {
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'The ADMIN_TOKEN the gateway runs with.',
          },
          consoleSession: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE,
            description:
              "The web console's session, set by `POST /api/session` (HttpOnly, SameSite=Strict, signed, expiring after CONSOLE_SESSION_TTL). A request with it that is not GET or HEAD must also send `X-Gateway-Console: 1`, else 403 `csrf_required`.",
          },
        },
      },
      security: [{ adminToken: [] }, { consoleSession: [] }],
    },
    hideUntagged: true,
    transform: jsonSchemaTransform,
    transformObject: (document) => onlyUsedComponents(jsonSchemaTransformObject(document)),
  })
  void app.register(async (scope) => {
    scope.addHook('onRequest', requireAdmin(options.access))
    scope.get('/api/openapi.json', async () => app.swagger())
  })
}

/**
 * The library puts every schema with an id in the document twice (as input and as output); keep
 * the components the routes reference, directly or through other components.
 */
function onlyUsedComponents<
  T extends { paths?: unknown; components?: { schemas?: Record<string, unknown> } },
>(document: T): T {
  const schemas = document.components?.schemas ?? {}
  const used = new Set<string>()
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return
    for (const [key, child] of Object.entries(value)) {
      const name =
        key === '$ref' && typeof child === 'string'
          ? /^#\/components\/schemas\/(\w+)$/.exec(child)?.[1]
          : undefined
      if (name === undefined) visit(child)
      else if (!used.has(name)) {
        used.add(name)
        visit(schemas[name])
      }
    }
  }
  visit(document.paths)
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)))
  return { ...document, components: { ...document.components, schemas: kept } }
}
