import { z } from 'zod'
import { errorResponses as errorsOf, WRITE_CODES } from './errors.js'
import { answer, count, isoTime } from './shared.js'

/** /api/catalog: every GHL event the gateway knows. */

const entryShape = {
  name: z.string().meta({ description: "GHL's doc name (`ContactCreate`)." }),
  canonical: z.string().meta({ description: 'Our stable dotted name (`contact.created`).' }),
  type: z.string().meta({ description: "The published type: `canonical` after this gateway's renames." }),
  typeValues: z.array(z.string()).meta({ description: 'The body `type` values GHL documents.' }),
  category: z.string(),
  level: z.string().meta({ description: '`location`, `agency` or `both`.' }),
  scopes: z.array(z.string()),
  since: z.string().meta({ description: 'Docs edition that first listed the event.' }),
  entity: z.object({ kind: z.string(), idPath: z.string() }),
  tenant: z.string().meta({ description: 'Where the tenant id is documented for the event.' }),
}

export const catalogStatsSchema = z
  .object({
    lastSeenAt: isoTime.nullable().meta({ description: 'When the newest event of this type was received.' }),
    lastDay: count.meta({
      description: 'Events received in the last 24 hours (counted up to `countLimit`).',
    }),
    lastWeek: count.meta({ description: 'Events received in the last 7 days (counted up to `countLimit`).' }),
    driftLastWeek: count.meta({
      description: 'Of the last 7 days, events whose body drifted from the schema.',
    }),
  })
  .meta({ id: 'CatalogStats', description: "An event's traffic on this gateway." })

export const catalogEntrySchema = z
  .object({ ...entryShape, stats: catalogStatsSchema })
  .meta({ id: 'CatalogEntry' })

/** What the counts mean, said once per answer. */
const countsShape = {
  countLimit: count.meta({ description: 'Counts stop here: a count equal to it means at least that many.' }),
  driftLimitReached: z
    .boolean()
    .meta({ description: 'More drifted events than one answer reads: drift counts are lower bounds.' }),
}

export const catalogEntryDetailSchema = z
  .object({
    ...entryShape,
    stats: catalogStatsSchema,
    ...countsShape,
    schema: z.record(z.string(), z.unknown()).meta({ description: "The event body's JSON Schema." }),
    sample: z
      .unknown()
      .meta({ description: 'A realistic sample body (the fixture `ghl-gateway send` sends).' }),
    sampleSending: z
      .object({
        enabled: z.boolean(),
        keyId: z
          .string()
          .nullable()
          .meta({ description: 'The public fingerprint of the key samples are signed with; null when off.' }),
      })
      .meta({ description: 'Whether POST /api/catalog/{name}/send works (CONSOLE_SAMPLE_SIGNING_KEY).' }),
  })
  .meta({ id: 'CatalogEntryDetail' })

export const catalogListSchema = z.object({ data: z.array(catalogEntrySchema), ...countsShape })

export const catalogSendAnswerSchema = z
  .object({
    eventId: z.string().meta({ description: 'The stored event, verified and delivered like any webhook.' }),
    status: z.enum(['accepted', 'duplicate']),
    keyId: z.string().meta({ description: 'The public fingerprint of the key the sample was signed with.' }),
  })
  .meta({ id: 'CatalogSendAnswer' })

export const catalogRoutesSchema = {
  list: {
    summary: 'Every GHL event the gateway knows',
    tags: ['catalog'],
    response: { 200: answer('Every event, in catalog order', catalogListSchema), ...errorsOf() },
  },
  get: {
    summary: 'One GHL event with the JSON Schema of its body',
    tags: ['catalog'],
    params: z.object({ name: z.string().meta({ description: 'GHL doc name, e.g. `ContactCreate`.' }) }),
    response: { 200: answer('The event', catalogEntryDetailSchema), ...errorsOf() },
  },
  send: {
    summary:
      "Sign the event's sample with the console's test key and send it through this gateway's receive path",
    tags: ['catalog'],
    params: z.object({ name: z.string().meta({ description: 'GHL doc name, e.g. `ContactCreate`.' }) }),
    response: {
      200: answer('The stored event', catalogSendAnswerSchema),
      ...errorsOf('sample_key_not_configured', 'backpressure', 'shutting_down', ...WRITE_CODES),
    },
  },
}

export type CatalogEntryJson = z.infer<typeof catalogEntrySchema>
export type CatalogEntryDetailJson = z.infer<typeof catalogEntryDetailSchema>
export type CatalogListJson = z.infer<typeof catalogListSchema>
export type CatalogStatsJson = z.infer<typeof catalogStatsSchema>
export type CatalogSendAnswerJson = z.infer<typeof catalogSendAnswerSchema>
