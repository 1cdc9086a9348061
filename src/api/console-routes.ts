import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { GatewayError } from '../errors.js'

/**
 * The web console at `/ui`: the single-page app `npm run build` writes to `dist/ui/` (from `ui/`),
 * served by the gateway itself — same port, nothing fetched from anywhere else.
 *
 *   /ui                 → redirect to `ui/` (relative, so a proxy's path prefix is kept)
 *   /ui/assets/<file>   → a hashed build file: cached for a year, immutable
 *   /ui/<other file>    → a built file that is not hashed: revalidated
 *   /ui/assets/<other>  → 404 (not index.html: HTML served as a script fails obscurely)
 *   /ui/<anything else> → index.html (`no-store`): a deep link (`/ui/events/evt_…`) survives reload
 *
 * The build refers to its files relatively (`./assets/…`), so the console works under any path
 * prefix a reverse proxy adds. A deep link's index.html is one or more folders below `/ui/`, so
 * its references are rewritten to climb back (`../assets/…`); a `<base>` element would do it
 * once, but the CSP forbids `<base>` (`base-uri 'none'`).
 *
 * Every answer under `/ui` carries the CSP below: scripts, styles and fonts only from this
 * origin, no inline script or style, no eval, no frames. GHL payloads are written by outsiders;
 * the console renders them as text, and the CSP is the second wall if it ever did not.
 */

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/** A year: hashed files never change under their name. */
const IMMUTABLE_MAX_AGE_MS = 365 * 24 * 3600 * 1000

/** `dist/ui/` of this package: two folders up from `src/api/` (tests, tsx) and `dist/api/` alike. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url))

export interface ConsoleRoutesOptions {
  /** The built console. @default DEFAULT_CONSOLE_DIR */
  dir?: string
}

/** Every file of the build, as paths relative to its folder with `/` separators. */
function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return listFiles(path, base)
    return [relative(base, path).split(sep).join('/')]
  })
}

/**
 * index.html for a page `depth` folders below `/ui/`: its `./` references climb back to `/ui/`.
 * Vite writes them as `src="./…"` and `href="./…"`.
 */
function indexAt(html: string, depth: number): string {
  if (depth === 0) return html
  return html.replace(/(src|href)="\.\//g, `$1="${'../'.repeat(depth)}`)
}

export async function consoleRoutes(app: FastifyInstance, options: ConsoleRoutesOptions): Promise<void> {
  const dir = options.dir ?? DEFAULT_CONSOLE_DIR
  const indexPath = join(dir, 'index.html')

  // On every answer under /ui, errors included: set before the route runs.
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS)
  })

  app.get('/ui', async (_request, reply) => reply.redirect('ui/', 308))
  // Refused here rather than by the app's 404, so that answer carries the headers too.
  for (const url of ['/ui', '/ui/*'])
    app.route({
      method: ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url,
      handler: async (_request, reply) => {
        reply.header('allow', 'GET, HEAD')
        throw new GatewayError('method_not_allowed', 'the web console answers GET and HEAD only')
      },
    })

  if (!existsSync(indexPath)) {
    app.get('/ui/*', async () => {
      throw new GatewayError(
        'console_not_built',
        `the web console is not built (no ${indexPath}); run \`npm run build\` and restart the gateway`,
      )
    })
    return
  }

  // Read once: the build does not change under a running gateway (a rebuild comes with a restart).
  const files = new Set(listFiles(dir))
  const index = readFileSync(indexPath, 'utf8')
  await app.register(fastifyStatic, { root: dir, serve: false, decorateReply: true })

  const sendIndex = (reply: FastifyReply, url: string) => {
    // Counted on the URL as sent (`%2F` is no folder to the browser), past `/ui/`.
    const depth = url.split('?')[0]!.split('/').length - 3
    return reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(indexAt(index, depth))
  }

  app.get<{ Params: { '*': string } }>('/ui/*', async (request, reply) => {
    const path = request.params['*']
    if (path !== 'index.html' && files.has(path)) {
      if (path.startsWith('assets/'))
        return reply.sendFile(path, { immutable: true, maxAge: IMMUTABLE_MAX_AGE_MS })
      return reply.sendFile(path, { cacheControl: true, maxAge: 0 })
    }
    // A missing build file is a 404, never index.html: HTML served as a script fails obscurely.
    if (path.startsWith('assets/')) throw new GatewayError('not_found', `the web console has no file ${path}`)
    return sendIndex(reply, request.url)
  })
}
