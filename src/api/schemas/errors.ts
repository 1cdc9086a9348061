import { z } from 'zod'
import { ERROR_CODES, type ErrorCode } from '../../errors.js'
import { answer } from './shared.js'

/**
 * Error answers in the admin API's contract: one body shape for every error (the catalog's,
 * src/errors.ts), and per route the codes it can answer, grouped under their statuses.
 */

const CODES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(CODES).meta({ description: 'Stable code from the error catalog (docs/errors.md).' }),
      message: z.string().meta({ description: 'One sentence saying what to fix.' }),
      requestId: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error', description: 'Every error answer: `{ error: { code, message, requestId } }`.' })

export type ErrorBodyJson = z.infer<typeof errorBodySchema>

/** What every admin route can answer: the token (or the API disabled), a crash, a database down. */
const ADMIN_CODES = ['unauthorized', 'not_found', 'internal_error', 'storage_unavailable'] as const

/**
 * A route that changes something can also refuse a console session without its header
 * (`X-Gateway-Console: 1`, see api/auth.ts).
 */
export const WRITE_CODES = ['csrf_required'] as const

/** A route that reads a JSON body can also refuse it before it is validated. */
export const BODY_CODES = ['invalid_json', 'payload_too_large', 'unsupported_media_type'] as const

/**
 * The error responses of an admin route: `codes` (besides those of every admin route) grouped by
 * their status, each status described by the codes it stands for.
 */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, Set<ErrorCode>>()
  for (const code of [...ADMIN_CODES, ...codes]) {
    const status = ERROR_CODES[code]
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code))
  }
  const responses: Record<number, ReturnType<typeof answer<typeof errorBodySchema>>> = {}
  for (const [status, group] of [...byStatus].sort(([x], [y]) => x - y))
    responses[status] = answer([...group].join(', '), errorBodySchema)
  return responses
}
