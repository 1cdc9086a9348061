import { z } from 'zod'
import { didYouMean } from '../did-you-mean.js'
import { strictObject } from '../strict-object.js'

/**
 * A destination's `filter`: envelope fields and `data.<path>`s, each tested against a value, a list
 * of values or operators (`filter.ts` compiles it into one test).
 */

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()])
const operators = strictObject({
  equals: scalar.optional(),
  in: z.array(scalar).optional(),
  /** An array holding the value, or a string containing it. */
  contains: scalar.optional(),
  /** true: present and not null; false: missing or null. */
  exists: z.boolean().optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
}).refine(
  (o) => Object.values(o).some((v) => v !== undefined),
  'give at least one of equals, in, contains, exists, gt, gte, lt, lte',
)
export const predicateSchema = z.union([scalar, z.array(scalar), operators])
export type FilterPredicate = z.output<typeof predicateSchema>

/** Envelope fields a filter may test, besides `locationId`, `companyId` and `data.<path>`. */
export const ENVELOPE_PATHS = new Set([
  'id',
  'source',
  'type',
  'ghlType',
  'name',
  'webhookId',
  'occurredAt',
  'receivedAt',
  'tenant.locationId',
  'tenant.companyId',
  'entity.kind',
  'entity.id',
])
const FILTER_KEY = /^data(\.[^.]+)*$/

export const filterSchema = z.record(z.string(), predicateSchema).superRefine((filter, ctx) => {
  for (const key of Object.keys(filter)) {
    if (key === 'locationId' || key === 'companyId' || ENVELOPE_PATHS.has(key) || FILTER_KEY.test(key))
      continue
    const near = didYouMean(key, ['locationId', 'companyId', ...ENVELOPE_PATHS])
    ctx.addIssue({
      code: 'custom',
      path: [key],
      message:
        (near ? `${near} ` : '') +
        'filter keys are locationId, companyId, data.<path> (e.g. data.tags) or an envelope field: ' +
        [...ENVELOPE_PATHS].join(', '),
    })
  }
})
export type DestinationFilter = z.output<typeof filterSchema>
