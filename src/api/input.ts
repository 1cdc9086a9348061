import { z } from 'zod'
import { GatewayError } from '../errors.js'
import { decodeCursor } from '../store/cursor.js'
import { formatIssues } from '../zod-issues.js'

/** Pieces of the admin API's query and body schemas, shared by every route file. */

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

/** Validates a query or body; a failure is `400 invalid_request` naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value)
  if (!result.success)
    throw new GatewayError('invalid_request', `invalid ${what}: ${formatIssues(result.error.issues)}`)
  return result.data
}
