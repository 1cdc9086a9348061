import { z } from 'zod'
import { GHL_OWNER_ID } from '../../config/env.js'
import { PRIVATE_TOKEN_MAX_LENGTH, privateTokenProblem } from '../../ghl/private-tokens.js'
import { decodeGhlTokenCursor } from '../../store/ghl-token-cursor.js'
import { GHL_TOKEN_STATUSES } from '../../store/ghl-token-store.js'
import { named } from '../input.js'
import { BODY_CODES, errorResponses, WRITE_CODES } from './errors.js'
import { answer, count, isoTime, pageOf } from './shared.js'

/**
 * /api/ghl/tokens (GHL tokens by status: which locations need re-authorising) and
 * /api/ghl/private-tokens/{kind}/{id} (set or remove a Private Integration Token). No answer ever
 * carries a token.
 */

export const PRIVATE_TOKEN_KINDS = ['location', 'company'] as const
export type PrivateTokenKind = (typeof PRIVATE_TOKEN_KINDS)[number]

export const privateTokenParams = z.object({
  kind: z.enum(PRIVATE_TOKEN_KINDS, {
    error: 'must be location (a sub-account’s token) or company (an agency’s token)',
  }),
  id: z
    .string()
    .regex(GHL_OWNER_ID, 'must be a GHL location or company id: letters, digits, "_" or "-" (at most 100)')
    .meta({ description: 'The GHL locationId, or companyId for an agency token.' }),
})

/** The token: checked by the one rule (private-tokens.ts), whose sentences never quote it. */
export const privateTokenBody = named(
  z
    .object({
      token: z
        .string({ error: 'token is required: the Private Integration Token GHL showed, as a string' })
        .superRefine((token, ctx) => {
          const problem = privateTokenProblem(token)
          if (problem) ctx.addIssue({ code: 'custom', message: problem })
        })
        .meta({
          description: `The Private Integration Token (GHL: Settings → Private Integrations), 1–${PRIVATE_TOKEN_MAX_LENGTH} visible ASCII characters. Stored encrypted; never answered.`,
        }),
    })
    .strict(),
  'Private Integration Token',
)

export const listGhlTokensQuery = z.object({
  status: z.enum(GHL_TOKEN_STATUSES).default('needs_reauth'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z
    .string()
    .refine((c) => decodeGhlTokenCursor(c) !== undefined, 'not a cursor from a previous page')
    .optional(),
})

export const ghlTokenSchema = z
  .object({
    kind: z.enum(['oauth', 'private']).meta({
      description: '`oauth`: the app’s token from an install; `private`: a Private Integration Token.',
    }),
    appId: z.string(),
    userType: z.enum(['Location', 'Company']),
    ownerId: z.string().meta({ description: 'The locationId, or the companyId of a Company token.' }),
    companyId: z.string().nullable(),
    status: z.enum(GHL_TOKEN_STATUSES),
    statusReason: z
      .string()
      .nullable()
      .meta({ description: 'Why, and what to do (GHL’s error when it gave one).' }),
    refreshedAt: isoTime.nullable(),
    createdAt: isoTime,
    updatedAt: isoTime.meta({ description: 'Its last change, e.g. when it became needs_reauth.' }),
  })
  .meta({ id: 'GhlToken' })

/** The count of a listing's status stops here (the answer then says `countCapped`). */
export const GHL_TOKEN_COUNT_CAP = 10_000

export const ghlTokenPageSchema = pageOf(ghlTokenSchema, 'GhlTokenPage', {
  count: count.meta({
    description: `Tokens of this status (all pages), counted up to ${GHL_TOKEN_COUNT_CAP.toLocaleString('en-US')}.`,
  }),
  countCapped: z
    .boolean()
    .meta({ description: 'There are more than `count`: the count stopped at its cap.' }),
})

export const privateTokenSetSchema = z
  .object({ kind: z.enum(PRIVATE_TOKEN_KINDS), id: z.string(), status: z.literal('active') })
  .meta({ id: 'PrivateTokenSet' })

export const ghlTokenRoutesSchema = {
  list: {
    summary:
      'GHL tokens of one status (default needs_reauth: locations that must install the app again), paged',
    tags: ['ghl'],
    querystring: listGhlTokensQuery,
    response: {
      200: answer('A page of tokens, without the tokens', ghlTokenPageSchema),
      ...errorResponses('invalid_request'),
    },
  },
  put: {
    summary: 'Set the Private Integration Token of a location or company (stored encrypted, never answered)',
    tags: ['ghl'],
    params: privateTokenParams,
    body: privateTokenBody,
    response: {
      201: answer('Stored: there was none. The answer names it, never the token', privateTokenSetSchema),
      204: z.null().meta({ description: 'Stored: it replaced the previous one (and made it active again)' }),
      ...errorResponses('invalid_request', 'ghl_token_key_not_configured', ...BODY_CODES, ...WRITE_CODES),
    },
  },
  remove: {
    summary: 'Remove the Private Integration Token of a location or company',
    tags: ['ghl'],
    params: privateTokenParams,
    response: {
      204: z.null().meta({ description: 'Removed' }),
      ...errorResponses('invalid_request', 'ghl_token_key_not_configured', ...WRITE_CODES),
    },
  },
}

export type GhlTokenJson = z.infer<typeof ghlTokenSchema>
export type GhlTokenPageJson = z.infer<typeof ghlTokenPageSchema>
export type PrivateTokenSetJson = z.infer<typeof privateTokenSetSchema>
export type PrivateTokenBodyJson = z.infer<typeof privateTokenBody>
