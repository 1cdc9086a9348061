/**
 * What `next start` does for a route handler, and no more: serves one App Router `route.ts` module
 * over HTTP, calling its exported `POST` with a standard `Request`. Run with tsx (the route's imports
 * are extensionless, as in a Next.js project):
 *
 *   node --import tsx test/support/next-route-server.ts <route.ts>     # PORT from the environment
 *
 * Prints `listening on http://127.0.0.1:<port>` once it takes requests.
 */
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'

type RouteModule = { POST?: (request: Request) => Promise<Response>; runtime?: string }

const file = process.argv[2]
if (!file) throw new Error('usage: next-route-server.ts <route.ts>')
// A computed specifier: the root type check does not follow it (the examples have their own tsconfig).
const route = (await import(pathToFileURL(file).href)) as RouteModule
const post = route.POST
if (typeof post !== 'function') throw new Error(`${file} exports no POST handler`)
// Next.js runs a route on the Edge runtime unless it says nodejs; the gateway needs Node.
if (route.runtime !== 'nodejs') throw new Error(`${file} must export runtime = 'nodejs'`)

const port = Number(process.env.PORT ?? 3000)
serve(
  {
    fetch: (request) => (request.method === 'POST' ? post(request) : new Response(null, { status: 405 })),
    port,
    hostname: '127.0.0.1',
  },
  () => console.log(`listening on http://127.0.0.1:${port}`),
)
