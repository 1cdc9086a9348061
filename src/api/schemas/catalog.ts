import { z } from 'zod'
import { errorResponses } from './errors.js'
import { answer } from './shared.js'

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

export const catalogEntrySchema = z.object(entryShape).meta({ id: 'CatalogEntry' })

export const catalogEntryDetailSchema = z
  .object({
    ...entryShape,
    schema: z.record(z.string(), z.unknown()).meta({ description: "The event body's JSON Schema." }),
  })
  .meta({ id: 'CatalogEntryDetail' })

export const catalogListSchema = z.object({ data: z.array(catalogEntrySchema) })

export const catalogRoutesSchema = {
  list: {
    summary: 'Every GHL event the gateway knows',
    tags: ['catalog'],
    response: { 200: answer('Every event, in catalog order', catalogListSchema), ...errorResponses() },
  },
  get: {
    summary: 'One GHL event with the JSON Schema of its body',
    tags: ['catalog'],
    params: z.object({ name: z.string().meta({ description: 'GHL doc name, e.g. `ContactCreate`.' }) }),
    response: { 200: answer('The event', catalogEntryDetailSchema), ...errorResponses() },
  },
}

export type CatalogEntryJson = z.infer<typeof catalogEntrySchema>
export type CatalogEntryDetailJson = z.infer<typeof catalogEntryDetailSchema>
