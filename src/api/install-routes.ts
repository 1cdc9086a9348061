import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type ErrorCode, GatewayError, RETRY_AFTER_SECONDS } from '../errors.js'
import {
  GhlNotInstalledError,
  GhlOAuthRejectedError,
  GhlReauthRequiredError,
  GhlTokenUnavailableError,
} from '../ghl/errors.js'
import type { GhlInstalls, InstallSummary } from '../ghl/installs.js'
import type { Logger } from '../observe/logger.js'
import { INSTALL_PAGE_HEADERS, installPage } from './install-page.js'
import { installStateKey, installStateProblem, issueInstallState } from './install-state.js'

/**
 * The install flow, public (GHL sends the installing admin's browser here; no admin token):
 *   GET /oauth/install  → 302 to GHL's choose-location page, with our `state`
 *   GET /oauth/callback → exchanges `code`, stores the tokens, records the installation, and shows
 *                         a page saying what was installed — or, as a page, the catalog error.
 * Registered only when a GHL app is configured (src/app.ts).
 */

export interface InstallRoutesOptions {
  installs: GhlInstalls
  clientId: string
  clientSecret: string
  /** GHL_SCOPES; undefined: /oauth/install answers ghl_install_not_configured. */
  scopes: string | undefined
  marketplaceUrl: string
  /** GHL_REDIRECT_URI; undefined: this gateway's own /oauth/callback, as the request reached it. */
  redirectUri: string | undefined
  logger: Logger
  now?: () => number
}

export async function installRoutes(fastify: FastifyInstance, options: InstallRoutesOptions): Promise<void> {
  const key = installStateKey(options.clientSecret)
  const now = options.now ?? Date.now
  const redirectUri = (request: FastifyRequest) =>
    options.redirectUri ?? `${request.protocol}://${request.host}/oauth/callback`

  fastify.get('/oauth/install', async (request, reply) => {
    if (!options.scopes) {
      return page(
        reply,
        request,
        options.logger,
        new GatewayError(
          'ghl_install_not_configured',
          'this gateway does not know which scopes to ask GHL for: set GHL_SCOPES to the scopes your app lists (Advanced Settings → Auth) and restart',
        ),
      )
    }
    const url = new URL('/v2/oauth/chooselocation', options.marketplaceUrl)
    url.search = new URLSearchParams({
      response_type: 'code',
      redirect_uri: redirectUri(request),
      client_id: options.clientId,
      scope: options.scopes,
      state: issueInstallState(key, now()),
    }).toString()
    return reply.header('cache-control', 'no-store').redirect(url.toString(), 302)
  })

  fastify.get<{ Querystring: Record<string, string | string[] | undefined> }>(
    '/oauth/callback',
    async (request, reply) => {
      const code = single(request.query.code)
      const state = single(request.query.state)
      if (!code) {
        const said = single(request.query.error_description) ?? single(request.query.error)
        return page(
          reply,
          request,
          options.logger,
          new GatewayError(
            'ghl_install_code_missing',
            `GHL did not send an authorization code${said ? ` (it said: ${said.slice(0, 200)})` : ''}: start the install again`,
          ),
        )
      }
      if (state !== undefined) {
        const problem = installStateProblem(key, state, now())
        if (problem) {
          return page(
            reply,
            request,
            options.logger,
            new GatewayError(
              'ghl_install_state_invalid',
              `${problem}: nothing was installed; start the install again from /oauth/install`,
            ),
          )
        }
      }
      let summary: InstallSummary
      try {
        summary = await options.installs.completeInstall(code, redirectUri(request))
      } catch (error) {
        return page(reply, request, options.logger, installError(error))
      }
      return reply
        .code(200)
        .headers(INSTALL_PAGE_HEADERS)
        .send(installPage(successPage(summary)))
    },
  )
}

/** What went wrong in the exchange, as a catalog error (anything unexpected is rethrown: a 500). */
function installError(error: unknown): GatewayError {
  if (error instanceof GhlReauthRequiredError || error instanceof GhlNotInstalledError) {
    return new GatewayError(
      'ghl_install_code_rejected',
      'GHL refused the authorization code (already used, expired, or issued for another redirect URI): nothing was installed; start the install again',
      { cause: error },
    )
  }
  if (error instanceof GhlOAuthRejectedError) {
    return new GatewayError(
      'ghl_install_refused',
      `GHL refused the code exchange (${error.status}${error.error ? ` ${error.error}` : ''}): check GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_REDIRECT_URI against the app's Advanced Settings → Auth`,
      { cause: error },
    )
  }
  if (error instanceof GhlTokenUnavailableError) {
    return new GatewayError(
      'ghl_unavailable',
      'GHL did not answer the code exchange: install again in a moment',
      {
        retryAfter: RETRY_AFTER_SECONDS,
        cause: error,
      },
    )
  }
  throw error
}

const TITLES: Partial<Record<ErrorCode, string>> = {
  ghl_install_code_missing: 'The install did not finish',
  ghl_install_state_invalid: 'This install link is not valid',
  ghl_install_code_rejected: 'GHL refused the install',
  ghl_install_refused: 'The gateway’s GHL settings are wrong',
  ghl_unavailable: 'GHL did not answer',
  ghl_install_not_configured: 'Installs are not set up on this gateway',
}

function page(reply: FastifyReply, request: FastifyRequest, logger: Logger, error: GatewayError) {
  logger.warn(
    { requestId: request.id, code: error.code, status: error.statusCode, err: error.cause },
    `install: ${error.message}`,
  )
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter))
  return reply
    .code(error.statusCode)
    .headers(INSTALL_PAGE_HEADERS)
    .header('x-request-id', request.id)
    .send(
      installPage({
        title: TITLES[error.code] ?? 'The install failed',
        paragraphs: [error.message, `Error code: ${error.code}. Request id: ${request.id}.`],
      }),
    )
}

function successPage(summary: InstallSummary) {
  const what =
    summary.userType === 'Company' ? `agency (company) ${summary.ownerId}` : `location ${summary.ownerId}`
  const paragraphs = [`The app is installed on ${what}. You can close this page.`]
  if (summary.bulk) {
    paragraphs.push(
      summary.locationsComplete
        ? `${summary.locations.length} location${summary.locations.length === 1 ? '' : 's'} of the agency ${summary.locations.length === 1 ? 'is' : 'are'} recorded.`
        : `${summary.locations.length} locations of the agency are recorded so far; the others are recorded as GHL reports them.`,
    )
  }
  return {
    title: 'App installed',
    paragraphs,
    list: summary.locations.slice(0, 20).map((id) => `location ${id}`),
  }
}

function single(value: string | string[] | undefined): string | undefined {
  const one = Array.isArray(value) ? value[0] : value
  return one === undefined || one === '' ? undefined : one
}
