import { z } from 'zod'
import { decodeInstallationCursor } from '../../store/installation-cursor.js'
import { named, text } from '../input.js'
import { BODY_CODES, errorResponses, WRITE_CODES } from './errors.js'
import { answer, isoTime, pageOf } from './shared.js'

/** /api/installs: where the GHL app is installed (store/installation-store.ts). Never a token. */

const tags = ['installs']

export const INSTALL_KINDS = ['location', 'company'] as const

export const listInstallsQuery = z.object({
  status: z
    .enum(['installed', 'uninstalled'])
    .optional()
    .meta({ description: 'Only installed ones, or only uninstalled ones. @default both' }),
  needsReauth: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => v === 'true')
    .meta({ description: '`true`: only those whose token GHL refused (they must install the app again).' }),
  company: text.optional().meta({ description: 'Only this company (agency) and its locations.' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .refine((c) => decodeInstallationCursor(c) !== undefined, 'not a cursor from a previous page')
    .optional(),
})

export const installParams = z.object({
  kind: z.enum(INSTALL_KINDS).meta({ description: '`location` (a sub-account) or `company` (an agency).' }),
  id: text.meta({ description: 'The GHL locationId or companyId.' }),
})

export const locationParams = z.object({ id: text.meta({ description: 'The GHL locationId.' }) })

export const setTenantBody = named(
  z.strictObject({
    tenantId: z.string().min(1).max(200).nullable().meta({
      description: 'The location’s id in your own system (at most 200 characters); null clears it.',
    }),
  }),
  'tenant request',
)

const tokenSchema = z
  .object({
    status: z.enum(['active', 'needs_reauth', 'revoked']),
    statusReason: z.string().nullable(),
    scopes: z.array(z.string()),
    expiresAt: isoTime.nullable(),
    refreshedAt: isoTime.nullable(),
  })
  .meta({
    id: 'InstallToken',
    description: 'The state of its token (never the token): null when none is stored yet.',
  })

export const installSchema = z
  .object({
    kind: z.enum(INSTALL_KINDS),
    id: z.string(),
    companyId: z
      .string()
      .nullable()
      .meta({ description: 'The agency: a location’s parent, a company itself.' }),
    status: z.enum(['installed', 'uninstalled']),
    installedAt: isoTime,
    uninstalledAt: isoTime.nullable(),
    bulk: z.boolean().meta({ description: 'Installed through an agency’s bulk install.' }),
    tenantId: z.string().nullable().meta({ description: 'The location’s id in your own system.' }),
    updatedAt: isoTime,
    token: tokenSchema.nullable(),
  })
  .meta({ id: 'Install' })

export const installPageSchema = pageOf(installSchema, 'InstallPage')

const one = { 200: answer('The installation', installSchema) }

export const installsRoutesSchema = {
  list: {
    summary: 'Where the GHL app is installed: companies, then locations, in id order',
    tags,
    querystring: listInstallsQuery,
    response: {
      200: answer('A page of installations', installPageSchema),
      ...errorResponses('invalid_request'),
    },
  },
  get: {
    summary: 'One installation, with the state of its token',
    tags,
    params: installParams,
    response: { ...one, ...errorResponses('invalid_request') },
  },
  setTenant: {
    summary: 'Set (or clear) the tenant id of an installed location',
    tags,
    params: locationParams,
    body: setTenantBody,
    response: { ...one, ...errorResponses('invalid_request', ...BODY_CODES, ...WRITE_CODES) },
  },
}

export type InstallJson = z.infer<typeof installSchema>
export type InstallPageJson = z.infer<typeof installPageSchema>
export type SetTenantRequestJson = z.input<typeof setTenantBody>
