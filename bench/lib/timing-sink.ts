import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A destination for the benchmarks: node:http on 127.0.0.1 that answers 200 at once and notes when
 * each request's body was complete, by its `webhook-id` header (the gateway sends the event id
 * there; the forward-floor baseline the body's webhookId). First arrival wins; `received` counts
 * every request, repeats included; `duplicates` counts the arrivals of an id already seen.
 */
export interface TimingSink {
  url: string
  /** webhook-id → epoch ms (performance.timeOrigin + now) of its first arrival. */
  times: Map<string, number>
  received(): number
  duplicates(): number
  close(): Promise<void>
}

export interface TimingSinkOptions {
  /** Note arrival times (off: a plain 200 answerer). @default true */
  record?: boolean
  /** @default 0: any free port */
  port?: number
}

export async function startTimingSink({
  record = true,
  port = 0,
}: TimingSinkOptions = {}): Promise<TimingSink> {
  const times = new Map<string, number>()
  let received = 0
  let duplicates = 0
  const OK = Buffer.from('{"ok":true}')
  const server = createServer((req, res) => {
    req.on('data', () => {})
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now()
      received++
      const id = req.headers['webhook-id']
      if (record && typeof id === 'string') {
        if (times.has(id)) duplicates++
        else times.set(id, at)
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length })
      res.end(OK)
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}/hook`,
    times,
    received: () => received,
    duplicates: () => duplicates,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
