import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

/**
 * The open HTTP connections of a server, for the answers written outside Fastify (bytes Node cannot
 * parse, a request that timed out) and for closing:
 *
 * - such an answer waits for the answers still owed to earlier (pipelined) requests on the same
 *   connection, so a client never reads a 400 in place of the 200 of a webhook that was stored;
 * - a connection is never closed on a client that is still sending: closing a socket with unread
 *   bytes makes the kernel send a reset, which can reach the client before it read our answer
 *   (it then sees "connection reset" instead of the 413 that says why). We half-close instead, read
 *   and discard what still arrives, and close when the client does — or at a bound.
 *
 * Nothing here runs per request: which answers are still owed is read, when needed, from Node's own
 * bookkeeping (the socket's `_httpMessage`, its parser's `incoming`: what Node's default
 * `clientError` answer relies on too). test/http-transport.test.ts pins the behaviour.
 */

/** How long a closing connection keeps discarding what the client still sends before it is cut. */
export const LINGER_MS = 5_000
/** Discarded bytes after which a closing connection is cut: a sender that keeps sending is not finishing a body. */
export const LINGER_MAX_BYTES = 16 * 1024 * 1024

interface Connection {
  /** Node's parser no longer reads this connection: we are answering or closing it. */
  detached: boolean
  lingering: boolean
  tracker: Tracker
}

interface Tracker {
  open: number
  lingering: Set<Socket>
  /** The server is closing: it must not wait for slow senders. */
  stopped: boolean
}

/** What Node's HTTP server keeps on a socket. */
interface HttpSocket extends Socket {
  /** The answer being written: the oldest one not finished (the next pipelined ones wait behind it). */
  _httpMessage?: ServerResponse | null
  /** The request being read; cleared once it has been read to the end and answered. */
  parser?: { incoming?: IncomingMessage | null } | null
  _handle?: { reading?: boolean; readStart?: () => number } | null
}

const connections = new WeakMap<Socket, Connection>()

export interface ConnectionTracker {
  /** Open connections of this server. */
  readonly open: number
  /** Shutdown: ends the connections only waiting for a client to finish sending, and lingers no more. */
  stopLingering(): void
}

/** Starts tracking the connections of `server`; call before it listens. */
export function trackConnections(server: Server): ConnectionTracker {
  const tracker: Tracker = { open: 0, lingering: new Set(), stopped: false }
  server.on('connection', (socket: Socket) => {
    tracker.open++
    connections.set(socket, { detached: false, lingering: false, tracker })
    // Shared functions, not closures: this runs for every connection.
    socket.on('close', forget)
    socket.destroySoon = destroySoon
  })
  return {
    get open() {
      return tracker.open
    },
    stopLingering() {
      tracker.stopped = true
      for (const socket of tracker.lingering) socket.destroy()
    },
  }
}

function forget(this: Socket): void {
  const tracker = connections.get(this)?.tracker
  if (!tracker) return
  tracker.open--
  tracker.lingering.delete(this)
}

/**
 * Node ends the connection after a `Connection: close` answer with destroySoon(): destroyed as soon
 * as the answer is written, whatever the client is still sending. That is right (and cheapest) once
 * the request was read to its end; while its body is still arriving, linger.
 */
function destroySoon(this: HttpSocket): void {
  const incoming = this.parser?.incoming
  if (incoming && !incoming.complete) closeGently(this)
  else Socket.prototype.destroySoon.call(this)
}

/**
 * Answers on `socket` with `write` (raw bytes) in its turn, then closes gently. The trouble belongs
 * to the request still being read, if any: our answer replaces its own, unless that one was written
 * (or begun) already — then nothing is added. Earlier requests get their answers first.
 */
export function answerThenClose(socket: Socket, write: () => void): void {
  const http = socket as HttpSocket
  const connection = connections.get(socket)
  if (!connection) {
    if (socket.writable) write()
    socket.end()
    return
  }
  // Further parse errors, a timeout of the request we are already answering, or the end of a
  // request cut short by the client add nothing: the connection is being answered or closed.
  if (connection.detached) return
  const incoming = http.parser?.incoming
  const reading = incoming && !incoming.complete ? incoming : undefined
  detachParser(http, connection)
  const inTurn = () => {
    if (socket.destroyed) return
    const writing = http._httpMessage
    // An answer to an earlier request, or the reading request's own answer already under way.
    if (writing && (writing.req !== reading || writing.headersSent)) {
      writing.once('close', inTurn)
      return
    }
    // No answer being written while a request is still being read: that request was answered.
    const answered = reading !== undefined && !writing
    if (!answered && socket.writable) write()
    closeGently(socket)
  }
  inTurn()
}

/**
 * Half-closes (our answer is followed by FIN), discards what the client still sends, and closes when
 * the client has finished sending, or after `LINGER_MS` / `LINGER_MAX_BYTES`.
 */
export function closeGently(socket: Socket): void {
  const connection = connections.get(socket)
  if (socket.destroyed || connection?.lingering) return
  if (socket.readableEnded || !connection || connection.tracker.stopped) {
    // The client sent everything it will (nothing unread can turn the close into a reset), or the
    // server is shutting down and will not wait.
    Socket.prototype.destroySoon.call(socket)
    return
  }
  connection.lingering = true
  connection.tracker.lingering.add(socket)
  detachParser(socket as HttpSocket, connection)
  socket.once('end', () => socket.destroy())
  const timer = setTimeout(() => socket.destroy(), LINGER_MS)
  socket.once('close', () => clearTimeout(timer))
  socket.end()
}

/** Node's HTTP parser reads nothing more from this connection; what still arrives is counted and dropped. */
function detachParser(socket: HttpSocket, connection: Connection): void {
  if (connection.detached) return
  connection.detached = true
  socket.removeAllListeners('data')
  let discarded = 0
  // Adding a 'data' listener also makes Node's server stop feeding the socket to its parser.
  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length
    if (discarded > LINGER_MAX_BYTES) socket.destroy()
  })
  socket.resume()
  // The parser had the socket's handle to itself and may have stopped it (a request body nobody
  // read yet); the stream does not know to start it again. Node's own onSocketResume does this.
  const handle = socket._handle
  if (handle?.readStart && !handle.reading) {
    handle.reading = true
    handle.readStart()
  }
}
