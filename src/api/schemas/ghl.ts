import { z } from 'zod'
import { errorResponses, WRITE_CODES } from './errors.js'
import { answer } from './shared.js'

/** POST /api/ghl/call: one GHL API call for a location or company, for debugging (`ghl-gateway ghl call`). */

const id = z.string().min(1).max(255)

export const ghlCallRequestSchema = z
  .object({
    locationId: id.optional(),
    companyId: id.optional(),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: z
      .string()
      .min(1)
      .max(2048)
      .regex(/^\/[^/]/, 'a path from the API root, such as /contacts/abc')
      .meta({ description: 'From the API root: `/contacts/abc` (a query string may follow).' }),
    body: z.unknown().optional().meta({ description: 'Sent as JSON.' }),
    version: z
      .string()
      .min(1)
      .max(32)
      .optional()
      .meta({ description: "GHL's `Version` header. Default: the operation's, from GHL's specs." }),
  })
  .refine((body) => (body.locationId === undefined) !== (body.companyId === undefined), {
    message: 'name exactly one of locationId or companyId',
  })

export const ghlCallAnswerSchema = z
  .object({
    status: z.number().int().meta({ description: "GHL's status (any: a 4xx is an answer too)." }),
    version: z.string(),
    durationMs: z.number(),
    rateLimit: z
      .record(z.string(), z.string())
      .meta({ description: "GHL's `X-RateLimit-*` headers, lowercased." }),
    data: z.unknown().meta({ description: "GHL's body, parsed (a string when not JSON, null when empty)." }),
  })
  .meta({ id: 'GhlCallAnswer' })

export const ghlRoutesSchema = {
  call: {
    summary: "Call GHL's API as a location or company (debugging): GHL's answer, whatever its status",
    tags: ['ghl'],
    body: ghlCallRequestSchema,
    response: {
      200: answer("GHL's answer", ghlCallAnswerSchema),
      ...errorResponses(
        ...WRITE_CODES,
        'invalid_request',
        'ghl_not_configured',
        'ghl_not_installed',
        'ghl_reauth_required',
        'ghl_rate_limited',
        'ghl_unavailable',
      ),
    },
  },
}

export type GhlCallRequestJson = z.infer<typeof ghlCallRequestSchema>
export type GhlCallAnswerJson = z.infer<typeof ghlCallAnswerSchema>
