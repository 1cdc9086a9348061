import { z } from 'zod'
import { strictObject } from '../../strict-object.js'
import { named } from '../input.js'
import { BODY_CODES, errorResponses, WRITE_CODES } from './errors.js'
import { answer, isoTime } from './shared.js'

/** /api/session: the web console's login (a session cookie), its state, and logout. */

export const loginBody = named(
  strictObject({
    token: z.string().min(1).max(4096).meta({ description: 'The ADMIN_TOKEN the gateway runs with.' }),
  }).meta({ id: 'LoginRequest' }),
  'login request',
)

export const loginAnswerSchema = z
  .object({
    expiresAt: isoTime.meta({ description: 'When the session ends (CONSOLE_SESSION_TTL after the login).' }),
  })
  .meta({ id: 'LoginAnswer' })

export const sessionStateSchema = z
  .object({
    authenticated: z.literal(true),
    expiresAt: isoTime
      .nullable()
      .meta({ description: "The session's end; null when the request was let in by the bearer token." }),
  })
  .meta({ id: 'SessionState' })

const tags = ['session']

export const sessionRoutesSchema = {
  login: {
    summary: 'Log in to the console: the admin token for a session cookie',
    description:
      'Answers with `Set-Cookie: ghl_gateway_session=…; Path=/; HttpOnly; SameSite=Strict; Max-Age=…` (and `Secure` when the request came over TLS). A wrong token sets no cookie. After 10 wrong tokens this process refuses logins for a while (429 `rate_limited`, `Retry-After`), the right token included.',
    tags,
    security: [],
    body: loginBody,
    response: {
      200: answer('Logged in; the cookie is set', loginAnswerSchema),
      ...errorResponses('invalid_request', 'rate_limited', ...BODY_CODES),
    },
  },
  state: {
    summary: 'Whether the request is logged in, and until when',
    tags,
    response: { 200: answer('Logged in', sessionStateSchema), ...errorResponses() },
  },
  logout: {
    summary: 'Log out: the session cookie is cleared',
    description:
      'Always 204 (also without a session, or with an expired one). Sessions are not stored: a copy of the cookie stays valid until it expires; changing ADMIN_TOKEN ends every session.',
    tags,
    security: [],
    response: {
      204: z.null().meta({ description: 'The cookie is cleared (`Max-Age=0`)' }),
      ...errorResponses(...WRITE_CODES),
    },
  },
}

export type LoginRequestJson = z.input<typeof loginBody>
export type LoginAnswerJson = z.infer<typeof loginAnswerSchema>
export type SessionStateJson = z.infer<typeof sessionStateSchema>
