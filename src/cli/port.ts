import { createServer } from 'node:net'

/** Tries to bind `host:port` (and lets go at once): undefined when free, else why not (EADDRINUSE…). */
export function tryBind(port: number, host: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolvePromise) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolvePromise(error))
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolvePromise(undefined)))
  })
}

/** A port the system considers free on `host` right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host }, () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolvePromise(port))
    })
  })
}
