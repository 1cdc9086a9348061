import { isDeepStrictEqual } from 'node:util'
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
  FastifySerializerCompiler,
} from 'fastify'
import { z } from 'zod'
import { GatewayError } from '../errors.js'
import { formatIssues } from '../zod-issues.js'
import { requestBodies } from './input.js'

/**
 * How the admin routes' zod schemas (src/api/schemas/) meet Fastify: requests are validated and
 * parsed by them, with the catalog's 400 (`invalid_request`, `invalid query: …` naming every bad
 * field); responses are sent as the handler built them — the schemas describe them (types, the
 * OpenAPI document), and with `checkResponses` (tests) every answer is checked against them.
 */

export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const body = requestBodies.get(schema)
  if (body && 'checkedByHandler' in body) return () => true
  const what = body?.what ?? (httpPart === 'querystring' ? 'query' : (httpPart ?? 'request'))
  return (data) => {
    const result = schema.safeParse(data)
    if (result.success) return { value: result.data }
    return {
      error: new GatewayError('invalid_request', `invalid ${what}: ${formatIssues(result.error.issues)}`),
    }
  }
}

/**
 * Fastify validates a request without a body as `null`; the admin routes take no body as `{}`
 * (a JSON `null` stays `null`, and is refused).
 */
export async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) request.body = {}
}

/**
 * Serializes what the handler built, byte for byte as `JSON.stringify` (schemas neither strip
 * nor reorder fields). With `check`, an answer its schema would refuse, or would change (a field
 * the schema does not name, a value it would coerce), throws: a 500 that names the field.
 */
export function serializerCompiler(check: boolean): FastifySerializerCompiler<z.ZodType> {
  return ({ schema, method, url, httpStatus }) => {
    if (!check) return (data) => JSON.stringify(data)
    return (data) => {
      const sent = JSON.parse(JSON.stringify(data)) as unknown
      const result = z.safeEncode(schema, sent)
      const where = `${method} ${url} ${httpStatus}`
      if (!result.success)
        throw contractBroken(`${where} answered outside its schema: ${formatIssues(result.error.issues)}`)
      const difference = firstDifference(sent, JSON.parse(JSON.stringify(result.data)))
      if (difference !== undefined)
        throw contractBroken(`${where} answered outside its schema: ${difference} is not described by it`)
      return JSON.stringify(data)
    }
  }
}

/**
 * With `checkResponses` (tests): an admin route that answers a status its schema does not list
 * fails with a 500, so the document lists every status the tests saw.
 */
export function checkDocumentedStatus(app: FastifyInstance): void {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    const responses = request.routeOptions.schema?.response as Record<string, unknown> | undefined
    const status = String(reply.statusCode)
    if (responses && !(status in responses) && reply.statusCode !== 500)
      throw contractBroken(
        `${request.method} ${request.routeOptions.url} answered ${status}, which its schema does not list`,
      )
    return payload
  })
}

/** A 500 whatever status the answer was going to have. */
function contractBroken(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 500 })
}

/** The path of the first value that differs between two JSON values, or undefined. */
function firstDifference(a: unknown, b: unknown, path = '(answer)'): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return path
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const key of keys) {
    const found = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    )
    if (found !== undefined) return found
  }
  return path
}
