import { z } from 'zod'

/** Response pieces more than one resource shows. */

/** An instant the gateway recorded, as ISO-8601 UTC text (`2026-11-23T12:00:00.000Z`). */
export const isoTime = z.string().meta({ format: 'date-time' })

/** A count or a number of things: 0, 1, 2, … */
export const count = z.int().nonnegative()

/** A JSON answer, described. */
export function answer<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } }
}

export const tenantSchema = z.object({
  locationId: z.string().nullable(),
  companyId: z.string().nullable(),
})

/**
 * One page of a listing: `nextCursor` continues it (`?cursor=`), null on the last page. `more`:
 * fields a listing adds beside them.
 */
export function pageOf<T extends z.ZodType, M extends z.ZodRawShape = Record<never, never>>(
  item: T,
  id: string,
  more?: M,
) {
  return z
    .object({
      data: z.array(item),
      nextCursor: z.string().nullable().meta({ description: 'Pass as `?cursor=` for the next page.' }),
      ...(more as M),
    })
    .meta({ id })
}

/** An `:id` in the path. */
export const idParams = z.object({ id: z.string() })
