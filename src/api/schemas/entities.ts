import { z } from 'zod'
import { pageCursor, text } from '../input.js'
import { errorResponses } from './errors.js'
import { eventSummarySchema } from './events.js'
import { answer, pageOf } from './shared.js'

/** GET /api/entities/:kind/:id/timeline: one entity's events in order, with what changed between them. */

export const entityParams = z.object({
  kind: text.meta({
    description: 'The entity kind the classifier gave its events: `contact`, `opportunity`, …',
  }),
  id: text,
})

export const timelineQuery = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(20).meta({
    description: 'Events per page: 1–50, 20 by default (each is read with its body).',
  }),
  cursor: pageCursor,
})

const fieldChangeSchema = z.object({
  path: z.string().meta({
    description:
      'Where: `email`, `address.city`, `customFields[id="f1"].value` (arrays of objects with an `id` are matched by id), `tags[]` (a value that left or joined a list of values), `rows[2]` (other arrays, by index); `(body)` for the whole body.',
  }),
  change: z.enum(['added', 'removed', 'changed']),
  before: z
    .string()
    .optional()
    .meta({ description: 'The old value as JSON text, cut at 200 characters (`…`).' }),
  after: z
    .string()
    .optional()
    .meta({ description: 'The new value as JSON text, cut at 200 characters (`…`).' }),
})

const bodyDiffSchema = z
  .object({
    changes: z.array(fieldChangeSchema),
    volatile: z.array(fieldChangeSchema).meta({
      description:
        'Changes of fields that differ on every webhook (`webhookId`, `timestamp`, `dateUpdated`).',
    }),
    truncated: z.boolean().meta({
      description:
        'True when the comparison stopped at its limits (200 changes, 20,000 values visited): there may be more.',
    }),
  })
  .meta({ id: 'BodyDiff' })

export const timelineItemSchema = z
  .object({
    event: eventSummarySchema,
    diff: bodyDiffSchema.nullable().meta({
      description:
        'What changed since the previous event of this entity; null when there is none to compare.',
    }),
    diffNote: z.string().nullable().meta({ description: 'Why `diff` is null; null otherwise.' }),
  })
  .meta({ id: 'TimelineItem' })

export const timelinePageSchema = pageOf(timelineItemSchema, 'TimelinePage', {
  entity: z.object({ kind: z.string(), id: z.string() }),
})

export const entitiesRoutesSchema = {
  timeline: {
    summary: "One entity's events, oldest first, with what changed between consecutive ones",
    tags: ['events'],
    params: entityParams,
    querystring: timelineQuery,
    response: {
      200: answer('A page of the timeline', timelinePageSchema),
      ...errorResponses('invalid_request'),
    },
  },
}

export type FieldChangeJson = z.infer<typeof fieldChangeSchema>
export type TimelineItemJson = z.infer<typeof timelineItemSchema>
export type TimelinePageJson = z.infer<typeof timelinePageSchema>
