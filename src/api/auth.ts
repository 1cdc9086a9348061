import type { FastifyReply, FastifyRequest } from 'fastify'
import { GatewayError } from '../errors.js'
import { safeEqual } from '../verify/index.js'

/**
 * Admin endpoints take `Authorization: Bearer <ADMIN_TOKEN>`. Without ADMIN_TOKEN they do not
 * exist (404): an API that cannot be protected is not offered.
 */
export function requireAdmin(adminToken: string | undefined) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    if (adminToken === undefined) {
      throw new GatewayError('not_found', 'the admin API is disabled; set ADMIN_TOKEN to enable it')
    }
    const header = request.headers.authorization
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim())
    if (!match) throw new GatewayError('unauthorized', 'send Authorization: Bearer <ADMIN_TOKEN>')
    if (!safeEqual(match[1]!, adminToken))
      throw new GatewayError('unauthorized', 'the admin token is not valid')
  }
}
