import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { type LiveMessage, type LiveStream, matchesLive } from '../observe/live-stream.js'
import { type AdminAccess, requireAdmin } from './auth.js'
import { streamRoutesSchema as schema } from './schemas/stream.js'

export interface StreamRoutesOptions {
  liveStream: LiveStream
  /** Who may call these routes (api/auth.ts). */
  access: AdminAccess
  /** A comment line this often, so proxies and load balancers keep an idle stream open. @default 15000 */
  heartbeatMs?: number
  /**
   * Bytes a client may leave unread in this process (beyond what the kernel buffers) before it is
   * dropped with a final `event: overflow`: a client that reads too slowly costs bounded memory.
   * @default 1048576 (1 MiB)
   */
  maxBufferedBytes?: number
  /** How long a dropped client gets to read its last bytes before its socket is cut. @default 5000 */
  lingerMs?: number
}

/**
 * GET /api/stream — Server-Sent Events of this process's live stream (see observe/live-stream.ts:
 * with several gateway processes, tail each one or use /api/events). Behind the admin token.
 *
 *   : connected                    first line, so a client knows the stream is open
 *   event: event                   one committed webhook (accepted or duplicate)
 *   data: {"kind":"event",…}
 *   event: delivery                one recorded delivery attempt
 *   data: {"kind":"delivery",…}
 *   : heartbeat                    every `heartbeatMs`
 *   event: overflow                last message before a slow client is dropped
 *
 * Filters (`type`, `location`, `source`, `kind`) are applied here, so a filtered client is sent
 * only what it asked for.
 */
export async function streamRoutes(app: FastifyInstance, options: StreamRoutesOptions): Promise<void> {
  const { liveStream } = options
  const heartbeatMs = options.heartbeatMs ?? 15_000
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024
  const lingerMs = options.lingerMs ?? 5000
  const clients = new Set<(reason: string) => void>()
  const api = app.withTypeProvider<ZodTypeProvider>()
  api.addHook('onRequest', requireAdmin(options.access))

  // Streams never end on their own: end them before the server waits for its connections to close.
  api.addHook('preClose', async () => {
    for (const close of [...clients]) close('the gateway is shutting down')
  })

  api.get('/api/stream', { schema: schema.stream }, async (request, reply) => {
    const filter = request.query

    reply.hijack()
    const res: ServerResponse = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      // nginx buffers proxied answers unless told not to; a buffered stream is not live.
      'x-accel-buffering': 'no',
      // One stream per connection: when it ends, so does the socket (shutdown never waits on it).
      connection: 'close',
      'x-request-id': request.id,
    })
    res.write(': connected\n\n')

    let closed = false
    const close = (reason: string, final?: string) => {
      if (closed) return
      closed = true
      unsubscribe()
      clearInterval(heartbeat)
      clients.delete(closeForShutdown)
      if (res.destroyed || res.writableEnded) return
      res.end(final ?? `: closed (${reason})\n\n`)
      // end() waits for the client to read what is buffered; one that never reads is cut off.
      const cut = setTimeout(() => res.destroy(), lingerMs)
      cut.unref()
      res.once('close', () => clearTimeout(cut))
    }
    const closeForShutdown = (reason: string) => close(reason)
    const send = (chunk: string) => {
      if (closed) return
      if (res.writableLength + chunk.length > maxBufferedBytes) {
        const data = JSON.stringify({
          reason:
            'the client read too slowly; reconnect, and filter (type, location, source) to receive less',
          maxBufferedBytes,
        })
        close('overflow', `event: overflow\ndata: ${data}\n\n`)
        return
      }
      res.write(chunk)
    }

    const unsubscribe = liveStream.subscribe((message: LiveMessage) => {
      if (matchesLive(filter, message)) send(`event: ${message.kind}\ndata: ${JSON.stringify(message)}\n\n`)
    })
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs)
    heartbeat.unref()
    clients.add(closeForShutdown)
    // The client went away (or the socket was cut): release the listener at once.
    res.once('close', () => close('disconnected'))
    res.on('error', () => close('socket error'))
  })
}
