import { z } from 'zod'
import type { SavedResponse } from '../../destinations/http/client.js'
import { ATTEMPT_OUTCOMES } from '../../store/delivery-states.js'
import { count, isoTime } from './shared.js'

/**
 * A delivery's attempts as the admin API shows them (src/api/attempts-json.ts builds them): one
 * numbering everywhere — cycle 0 is the original, n the n-th replay; attempts are numbered 1, 2, …
 * within their cycle (the handler's `ctx.attempt`, the destination's `x-gateway-attempt`).
 */

const deprecated = (replacement: string) => ({
  deprecated: true,
  description: `Deprecated alias of \`${replacement}\`; removed in the next major version.`,
})

/** What an attempt saved of a destination's answer. */
export const savedResponseSchema = z
  .object({
    status: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'null when there was no answer (timeout, connection error).' }),
    durationMs: z.number(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z
      .string()
      .optional()
      .meta({ description: 'The first `responseBodyBytes` bytes: text when UTF-8, else base64.' }),
    bodyEncoding: z.enum(['utf8', 'base64']).optional(),
    truncated: z.boolean().optional().meta({ description: 'The destination sent more than was saved.' }),
  })
  .meta({ id: 'SavedResponse' }) satisfies z.ZodType<SavedResponse>

/** One GHL API call a handler made during the attempt (`ctx.ghl`): no query string, no token, no body. */
export const ghlCallSchema = z
  .object({
    method: z.string(),
    path: z.string().meta({ description: 'Without the query string.' }),
    status: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'null when GHL did not answer (timeout, connection error).' }),
    durationMs: z.number(),
    version: z.string().meta({ description: 'The `Version` header sent.' }),
    operation: z.string().meta({ description: 'The typed helper (`contacts.addNote`) or `request`.' }),
  })
  .meta({ id: 'GhlCall' })

export const attemptSchema = z
  .object({
    id: z.string(),
    deliveryId: z.string(),
    number: count.meta({ description: '1, 2, … within its cycle.' }),
    cycle: count.meta({ description: '0 for the original, n for the n-th replay.' }),
    worker: z.string(),
    startedAt: isoTime,
    durationMs: z.number(),
    outcome: z.enum(ATTEMPT_OUTCOMES),
    errorClass: z.string().nullable(),
    errorMessage: z.string().nullable(),
    errorStack: z.string().nullable(),
    response: savedResponseSchema
      .nullable()
      .meta({ description: "A destination's answer; null for handlers." }),
    traceId: z.string().nullable().meta({
      description:
        'The OpenTelemetry trace the attempt ran in (a destination received it in `traceparent`); null when there was none.',
    }),
    ghlCalls: z
      .array(ghlCallSchema)
      .optional()
      .meta({ description: 'The GHL API calls a handler made in this attempt (the last 20), oldest first.' }),
  })
  .meta({ id: 'Attempt' })

/** A delivery's counters: its cycle, attempts in that cycle, attempts over every cycle. */
export const attemptCountersShape = {
  cycle: count.meta({ description: '0, or n after the n-th replay.' }),
  attemptsInCycle: count,
  totalAttempts: count,
  attempts: count.meta(deprecated('attemptsInCycle')),
}

/** Every attempt of a delivery, oldest first, under its name and its deprecated alias. */
export const attemptHistoryShape = {
  attemptHistory: z.array(attemptSchema),
  attemptsLog: z.array(attemptSchema).meta(deprecated('attemptHistory')),
}

export type AttemptJson = z.infer<typeof attemptSchema>
export type SavedResponseJson = z.infer<typeof savedResponseSchema>
export type GhlCallJson = z.infer<typeof ghlCallSchema>
