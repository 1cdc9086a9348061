import pg from 'pg'
import type { WorkTopic } from '../types.js'

export const WORK_CHANNEL = 'ghl_gateway_work'

/**
 * LISTEN on a dedicated connection (a pooled one would lose the subscription when released).
 * When the connection breaks — PostgreSQL restarted, a network blip — it reconnects with capped
 * backoff by itself, and wakes the worker on reconnect, since notifications sent while it was
 * away are lost (the poll would find that work too, only later). The payload names the topic:
 * empty for deliveries, `destinations` for "reload your destinations now" (a probe request).
 */
/**
 * What a notification says: `destinations`, or `deliveries:<origin>` naming the store that sent it.
 * Releases before the origin sent an empty payload for deliveries; any payload but `destinations`
 * still means deliveries, both ways.
 */
export function workPayload(topic: WorkTopic, origin: string): string {
  return topic === 'destinations' ? topic : `deliveries:${origin}`
}

export function listenForWork(
  url: string,
  /** This store's origin: its own delivery announcements are not work news here. */
  origin: string,
  onWork: (topic: WorkTopic) => void,
  onError: (error: Error) => void,
): () => Promise<void> {
  let client: pg.Client | undefined
  let stopped = false
  let retryMs = 250
  let timer: NodeJS.Timeout | undefined

  const connect = async () => {
    if (stopped) return
    const next = new pg.Client({
      connectionString: url,
      application_name: 'ghl-gateway-listener',
      keepAlive: true,
    })
    const reconnect = (error: Error) => {
      if (client !== next || stopped) return
      client = undefined
      onError(error)
      next.end().catch(() => {})
      timer = setTimeout(() => void connect(), retryMs)
      timer.unref()
      retryMs = Math.min(retryMs * 2, 10_000)
    }
    next.on('error', reconnect)
    next.on('end', () => reconnect(new Error('the LISTEN connection closed')))
    const own = workPayload('deliveries', origin)
    next.on('notification', (message) => {
      if (message.payload === own) return
      onWork(message.payload === 'destinations' ? 'destinations' : 'deliveries')
    })
    client = next
    try {
      await next.connect()
      await next.query(`LISTEN ${WORK_CHANNEL}`)
      retryMs = 250
      onWork('deliveries')
      onWork('destinations')
    } catch (error) {
      reconnect(error as Error)
    }
  }
  void connect()

  return async () => {
    stopped = true
    clearTimeout(timer)
    const current = client
    client = undefined
    await current?.end().catch(() => {})
  }
}
