import { z } from 'zod'
import { DLQ_JOB_ACTIONS, DLQ_JOB_STATES } from '../../store/dlq-job-store.js'
import { named } from '../input.js'
import { filterFields } from './deliveries.js'
import { BODY_CODES, errorResponses, WRITE_CODES } from './errors.js'
import { answer, count, idParams, isoTime } from './shared.js'

/**
 * The dead-letter queue's bulk side: /api/dlq/count, /api/dlq/groups, /api/dlq/jobs. A job replays
 * or purges every dead delivery its filter matches, in the background (src/deliver/dlq-job-runner.ts).
 */

/** The /api/dlq filter, plus the error fingerprint a group is addressed by. */
export const dlqFilterFields = {
  ...filterFields,
  fingerprint: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .meta({ description: "The error fingerprint the delivery got when it died (a group's `fingerprint`)." }),
}

/** Counted at most: bounded work per request (src/store/sql/count-dead.ts). */
export const DLQ_COUNT_CAP = 100_000
/** Dead deliveries a grouping looks at, at most (the newest). */
export const DLQ_GROUP_SCAN = 10_000

export const dlqCountQuery = z.object(dlqFilterFields)
export const dlqGroupsQuery = z.object({
  ...dlqFilterFields,
  scan: z.coerce
    .number()
    .int()
    .min(1)
    .max(DLQ_GROUP_SCAN)
    .default(DLQ_GROUP_SCAN)
    .meta({ description: `The newest dead deliveries grouped. @default ${DLQ_GROUP_SCAN}` }),
})

export const dlqJobBody = named(
  z
    .object({
      action: z.enum(DLQ_JOB_ACTIONS),
      filter: z.object(dlqFilterFields).strict().default({}),
      expectedCount: count
        .optional()
        .meta({ description: 'The count the user confirmed: refused (409) when more match now.' }),
    })
    .strict()
    .meta({ id: 'DlqJobRequest' }),
  'dlq job',
)

const dlqCountSchema = z
  .object({
    count: count.meta({ description: 'Dead deliveries matching, at most `cap`.' }),
    capped: z.boolean().meta({ description: 'More match than `cap`: the count stopped there.' }),
    cap: count,
  })
  .meta({ id: 'DlqCount' })

const dlqGroupSchema = z.object({
  subscriber: z.string(),
  fingerprint: z.string().nullable().meta({
    description: 'The normalised error; null for deliveries that died before fingerprints were kept.',
  }),
  sampleError: z.string().nullable(),
  sampleDeliveryId: z.string(),
  count,
  firstDeadAt: isoTime,
  lastDeadAt: isoTime,
})

const dlqGroupsSchema = z
  .object({
    data: z.array(dlqGroupSchema),
    scanned: count.meta({ description: 'Dead deliveries grouped (the newest matching).' }),
    scanLimit: count,
    complete: z
      .boolean()
      .meta({ description: 'Every matching dead delivery was grouped (scanned < scanLimit).' }),
  })
  .meta({ id: 'DlqGroups' })

export const dlqJobSchema = z
  .object({
    id: z.string(),
    action: z.enum(DLQ_JOB_ACTIONS),
    state: z.enum(DLQ_JOB_STATES),
    filter: z.object({
      types: z
        .array(z.string())
        .optional()
        .meta({ description: 'Stored event types the `type` filter stood for.' }),
      subscriber: z.string().optional(),
      tenant: z.string().optional(),
      error: z.string().optional(),
      fingerprint: z.string().optional(),
      since: isoTime.optional(),
      until: isoTime.optional(),
    }),
    deadBefore: isoTime.meta({ description: 'Only deliveries dead before this (the job’s creation).' }),
    total: count.meta({ description: 'Matching when the job was created.' }),
    totalCapped: z.boolean(),
    done: count.meta({ description: 'Replayed or purged so far.' }),
    error: z.string().nullable(),
    createdAt: isoTime,
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    updatedAt: isoTime,
  })
  .meta({ id: 'DlqJob' })

const dlqJobListSchema = z.object({ data: z.array(dlqJobSchema) }).meta({ id: 'DlqJobList' })

export const dlqJobsRoutesSchema = {
  count: {
    summary: 'Count the dead deliveries a filter matches (up to a cap)',
    tags: ['dlq'],
    querystring: dlqCountQuery,
    response: { 200: answer('The count', dlqCountSchema), ...errorResponses('invalid_request') },
  },
  groups: {
    summary: 'Group the newest dead deliveries by subscriber and error fingerprint',
    tags: ['dlq'],
    querystring: dlqGroupsQuery,
    response: {
      200: answer('The groups, largest first', dlqGroupsSchema),
      ...errorResponses('invalid_request'),
    },
  },
  create: {
    summary: 'Start a background job replaying or purging every dead delivery a filter matches',
    tags: ['dlq'],
    body: dlqJobBody,
    response: {
      202: answer('The job, queued', dlqJobSchema),
      ...errorResponses('invalid_request', 'conflict', ...BODY_CODES, ...WRITE_CODES),
    },
  },
  list: {
    summary: 'Recent bulk jobs, newest first',
    tags: ['dlq'],
    response: { 200: answer('The jobs', dlqJobListSchema), ...errorResponses() },
  },
  get: {
    summary: 'One bulk job and its progress',
    tags: ['dlq'],
    params: idParams,
    response: { 200: answer('The job', dlqJobSchema), ...errorResponses() },
  },
  cancel: {
    summary: 'Cancel a queued or running bulk job (what it did stays done)',
    tags: ['dlq'],
    params: idParams,
    response: {
      200: answer('The job, cancelled', dlqJobSchema),
      ...errorResponses('conflict', ...WRITE_CODES),
    },
  },
}

export type DlqCountJson = z.infer<typeof dlqCountSchema>
export type DlqGroupJson = z.infer<typeof dlqGroupSchema>
export type DlqGroupsJson = z.infer<typeof dlqGroupsSchema>
export type DlqJobJson = z.infer<typeof dlqJobSchema>
export type DlqJobListJson = z.infer<typeof dlqJobListSchema>
export type DlqJobRequestJson = z.input<typeof dlqJobBody>
