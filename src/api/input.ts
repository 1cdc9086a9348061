import { z } from 'zod'
import { decodeCursor } from '../store/cursor.js'

/** Pieces of the admin API's query and body schemas, shared by the schemas in src/api/schemas/. */

/** A short, non-empty text parameter (ids, types, tenants). */
export const text = z.string().min(1).max(255)

/** An instant as ISO-8601 text or epoch milliseconds → epoch ms. */
export const instant = z.string().transform((value, ctx) => {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(ms)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an ISO-8601 time or epoch milliseconds (got "${value}")`,
    })
    return z.NEVER
  }
  return ms
})

/** `?limit=` of a listing: 1–500, 50 by default. */
export const pageLimit = z.coerce.number().int().min(1).max(500).default(50)

/** `?cursor=` from a previous page's `nextCursor`. */
export const pageCursor = z
  .string()
  .refine((c) => decodeCursor(c) !== undefined, 'not a cursor from a previous page')
  .optional()

/**
 * How a request body is named in its 400 (`invalid replay request: …`), or that the route's
 * handler validates it itself. Queries are `query`.
 */
export const requestBodies = z.registry<{ what: string } | { checkedByHandler: true }>()

export function named<T extends z.ZodType>(schema: T, what: string): T {
  requestBodies.add(schema, { what })
  return schema
}

export function checkedByHandler<T extends z.ZodType>(schema: T): T {
  requestBodies.add(schema, { checkedByHandler: true })
  return schema
}
