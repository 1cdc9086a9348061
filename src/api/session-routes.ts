import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { GatewayError } from '../errors.js'
import type { Logger } from '../observe/logger.js'
import { safeEqual } from '../verify/index.js'
import { type AdminAccess, authenticate, enabled, requireConsoleHeader } from './auth.js'
import { mintSession } from './console-session.js'
import { LoginLimiter } from './login-limiter.js'
import { sessionRoutesSchema as schema } from './schemas/session.js'
import { clearedSessionCookie, sessionCookieValues, sessionSetCookie } from './session-cookie.js'

export interface SessionRoutesOptions {
  access: AdminAccess
  logger: Logger
  /** Failed logins of this process. @default 10 at once, then one every 6 s */
  limiter?: LoginLimiter
}

/**
 * The web console's login: POST /api/session trades the admin token for a session cookie,
 * GET /api/session says whether the request is logged in, DELETE /api/session clears the cookie.
 * The session itself is console-session.ts; who it lets in is auth.ts.
 */
export async function sessionRoutes(app: FastifyInstance, options: SessionRoutesOptions): Promise<void> {
  const { access, logger } = options
  const limiter = options.limiter ?? new LoginLimiter({ now: access.now })
  const api = app.withTypeProvider<ZodTypeProvider>()
  // Like every admin route, none of these exists without ADMIN_TOKEN (404 before the body is read).
  api.addHook('onRequest', async () => {
    enabled(access)
  })

  api.post('/api/session', { schema: schema.login }, async (request, reply) => {
    const { token, sessionKey } = enabled(access)
    const wait = limiter.waitSeconds()
    if (wait > 0) {
      throw new GatewayError('rate_limited', `too many wrong admin tokens; try again in ${wait} s`, {
        retryAfter: wait,
      })
    }
    if (!safeEqual(request.body.token, token)) {
      limiter.failed()
      // Never the token that was sent: only that one was refused, and from where.
      logger.warn({ requestId: request.id, ip: request.ip }, 'console login refused: wrong admin token')
      throw new GatewayError('unauthorized', 'the admin token is not valid')
    }
    const expiresAt = access.now() + access.sessionTtlMs
    reply.header(
      'set-cookie',
      sessionSetCookie(mintSession(sessionKey, expiresAt), {
        maxAgeSeconds: access.sessionTtlMs / 1000,
        secure: request.protocol === 'https',
      }),
    )
    reply.header('cache-control', 'no-store')
    return { expiresAt: new Date(expiresAt).toISOString() }
  })

  api.get('/api/session', { schema: schema.state }, async (request, reply) => {
    const credential = authenticate(access, request)
    reply.header('cache-control', 'no-store')
    return {
      authenticated: true as const,
      expiresAt: credential.kind === 'session' ? new Date(credential.expiresAt).toISOString() : null,
    }
  })

  // No credential needed: clearing a cookie (expired or not) harms no one. With the cookie, the
  // console header is, like every request it makes that changes something (auth.ts).
  api.delete('/api/session', { schema: schema.logout }, async (request, reply) => {
    if (sessionCookieValues(request.headers.cookie).length > 0) requireConsoleHeader(request)
    reply.header('set-cookie', clearedSessionCookie(request.protocol === 'https'))
    return reply.status(204).send(null)
  })
}
