import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a sink received, body as bytes. */
export interface SinkRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** Date.now() when the body was complete. */
  at: number
  /**
   * How the sink's answer ended: `complete` (every byte handed to the socket), `aborted` (the
   * client went away first, e.g. its timeout during a `trickleMs` body). Unset while the answer is
   * being written, and for `reset` and `hang`.
   */
  answer?: 'complete' | 'aborted'
}

/**
 * What the sink answers: a status (default 200) with headers and body, `reset` (the socket is
 * destroyed after the body arrived: the client sees a connection reset), or `hang` (no answer
 * until the client gives up). `trickleMs` sends the status line and headers at once, then the body
 * in ten pieces spread over that time (a slow body).
 */
export type SinkReply =
  | { status?: number; headers?: Record<string, string>; body?: string | Buffer; trickleMs?: number }
  | 'reset'
  | 'hang'

export type SinkResponder = (request: SinkRequest, index: number) => SinkReply | Promise<SinkReply>

export interface Sink {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** Base URL with a path: `http://127.0.0.1:<port>/hook`. */
  url: string
  requests: SinkRequest[]
  respond: SinkResponder
  close(): Promise<void>
}

/** A real HTTP server on 127.0.0.1 that records every request and answers as told. */
export async function startSink(respond: SinkResponder = () => ({ status: 200, body: 'ok' })): Promise<Sink> {
  const requests: SinkRequest[] = []
  const sink: Sink = { origin: '', url: '', requests, respond, close: async () => {} }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const request: SinkRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: Date.now(),
      }
      const index = requests.push(request) - 1
      const reply = await sink.respond(request, index)
      if (reply === 'reset') {
        req.socket.destroy()
        return
      }
      if (reply === 'hang') return
      res.on('finish', () => {
        request.answer ??= 'complete'
      })
      res.on('close', () => {
        if (!res.writableFinished) request.answer ??= 'aborted'
      })
      res.writeHead(reply.status ?? 200, reply.headers ?? {})
      if (reply.trickleMs) trickle(res, Buffer.from(reply.body ?? ''), reply.trickleMs)
      else res.end(reply.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  sink.origin = `http://127.0.0.1:${port}`
  sink.url = `${sink.origin}/hook`
  sink.close = async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return sink
}

/** Writes `body` in ten pieces over `ms` (at least one byte each), then ends; stops if the client leaves. */
function trickle(res: ServerResponse, body: Buffer, ms: number): void {
  const pieces = Math.max(1, Math.min(10, body.length))
  const size = Math.ceil(body.length / pieces)
  let sent = 0
  const next = () => {
    if (res.destroyed) return
    if (sent >= body.length) {
      res.end()
      return
    }
    res.write(body.subarray(sent, sent + size))
    sent += size
    setTimeout(next, ms / pieces).unref()
  }
  next()
}
