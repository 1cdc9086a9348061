import type { Command } from 'commander'
import { coerceError } from '../../errors.js'
import type { LiveDelivery, LiveEvent } from '../../observe/live-stream.js'
import { AdminApiError, type AdminClient, clientFor } from '../admin-client.js'
import { ADMIN_ENV_HELP as ENV_HELP, withConnection } from '../options.js'
import { createSseParser } from '../sse.js'
import { type Style, styleFor } from '../ui/style.js'
import { cell } from '../ui/table.js'
import { attemptLabel } from './attempts-format.js'

/**
 * `tail`: GET /api/stream (Server-Sent Events) of a running gateway, one line per message.
 * The stream is per process: with several gateway processes, tail each (or use `events list`).
 */

interface TailFlags {
  url: string
  token?: string
  type?: string
  location?: string
  source?: string
  deliveries: boolean
  json?: boolean
}

/** The gateway sends a heartbeat every 15 s; three missed ones mean the connection is gone. */
const SILENCE_MS = 45_000
const FIRST_RETRY_MS = 500
const MAX_RETRY_MS = 15_000

export function registerTail(program: Command): void {
  withConnection(program.command('tail'))
    .description("Stream a running gateway's events (and delivery attempts) as they happen, one line each.")
    .option(
      '-t, --type <type>',
      'event type: contact.created, the GHL name ContactCreate, or a prefix: contact.*',
    )
    .option('-l, --location <id>', 'GHL locationId (sub-account)')
    .option('-s, --source <id>', 'webhook source (ghl, or one from the config file)')
    .option('--no-deliveries', 'events only, without delivery attempts')
    .option('--json', 'print each message as one JSON object per line')
    .addHelpText(
      'after',
      `
Each line: time (UTC), outcome, type and GHL name, webhookId, locationId, event id. Delivery attempts:
time, succeeded | retry | dead, subscriber, attempt (1, 2, … as the handler's ctx.attempt; "1 (replay 1)"
after a replay), delivery id, event id, error. Filters are applied by the gateway. When the connection
drops, tail says so on stderr and reconnects with backoff; Ctrl-C stops it (exit 0). The stream shows the events of the process you connect to: with several
gateway processes, tail each one, or query the shared database with \`events list\`.

Examples:
  $ ghl-gateway tail
  $ ghl-gateway tail --type contact.* --location ve9EPM428h8vShlRW1KT
  $ ghl-gateway tail --json | jq -c 'select(.outcome == "duplicate")'

${ENV_HELP}`,
    )
    .action(async (flags: TailFlags) => {
      await tail(clientFor(flags), flags)
    })
}

async function tail(api: AdminClient, flags: TailFlags): Promise<void> {
  const style = styleFor(process.stdout)
  const note = (text: string) => console.error(styleFor(process.stderr).dim(`tail: ${text}`))
  let close: (() => void) | undefined
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      close?.()
      process.exit(0)
    })
  }
  const query = {
    type: flags.type,
    location: flags.location,
    source: flags.source,
    kind: flags.deliveries ? undefined : 'event',
  }
  let connected = false
  let retryMs = FIRST_RETRY_MS
  for (;;) {
    let stream: Awaited<ReturnType<AdminClient['openStream']>>
    try {
      stream = await api.openStream('/api/stream', query)
    } catch (error) {
      // The first connection, a refused token or a disabled API: one sentence, exit 1.
      if (!connected || error instanceof AdminApiError) throw error
      note(`${coerceError(error).message.replace(/; start one.*$/, '')}; retrying in ${seconds(retryMs)}`)
      await sleep(retryMs)
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
      continue
    }
    close = stream.close
    note(
      connected
        ? `reconnected to ${api.baseUrl}`
        : `streaming ${api.baseUrl} (${describeFilters(flags)}this process's events only); Ctrl-C to stop`,
    )
    connected = true
    retryMs = FIRST_RETRY_MS
    const why = await read(stream, (line) => console.log(line), flags, style)
    close = undefined
    note(`${why}; reconnecting in ${seconds(retryMs)}`)
    await sleep(retryMs)
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
  }
}

/** Reads one connection until it ends; resolves with why it ended. */
function read(
  stream: Awaited<ReturnType<AdminClient['openStream']>>,
  print: (line: string) => void,
  flags: TailFlags,
  style: Style,
): Promise<string> {
  return new Promise((resolve) => {
    const { response } = stream
    let reason = 'the gateway closed the stream'
    let silence: NodeJS.Timeout | undefined
    const alive = () => {
      clearTimeout(silence)
      silence = setTimeout(() => {
        reason = `nothing received for ${seconds(SILENCE_MS)} (not even a heartbeat)`
        stream.close()
      }, SILENCE_MS)
    }
    const parser = createSseParser(
      (message) => {
        if (message.event === 'overflow') {
          reason =
            'the gateway dropped the stream because it was read too slowly (add filters to receive less)'
          return
        }
        if (message.event !== 'event' && message.event !== 'delivery') return
        if (flags.json) return print(message.data)
        const parsed = JSON.parse(message.data) as LiveEvent | LiveDelivery
        print(parsed.kind === 'delivery' ? deliveryLine(parsed, style) : eventLine(parsed, style))
      },
      (comment) => {
        // `: closed (the gateway is shutting down)`: the gateway says why it ends the stream.
        const closed = /^closed \((.+)\)$/.exec(comment)
        if (closed) reason = `the gateway closed the stream (${closed[1]})`
      },
    )
    alive()
    response.setEncoding('utf8')
    response.on('data', (chunk: string) => {
      alive()
      try {
        parser.push(chunk)
      } catch (error) {
        reason = coerceError(error).message
        stream.close()
      }
    })
    response.on('error', () => {
      reason = 'the connection was lost'
    })
    response.on('close', () => {
      clearTimeout(silence)
      if (!response.complete && reason.startsWith('the gateway closed')) reason = 'the connection was lost'
      resolve(reason)
    })
  })
}

const OUTCOME_WIDTH = 9

function eventLine(e: LiveEvent, style: Style): string {
  const colour = e.outcome === 'accepted' ? style.green : style.yellow
  const type = e.name && e.name !== e.type ? `${cell(e.type)} (${e.name})` : cell(e.type)
  return [
    style.dim(clock(e.receivedAt)),
    colour(e.outcome.padEnd(OUTCOME_WIDTH)),
    type,
    `webhookId ${cell(e.webhookId)}`,
    `location ${cell(e.locationId)}`,
    e.id,
    e.flags.length ? style.yellow(e.flags.join(',')) : '',
  ]
    .join('  ')
    .trimEnd()
}

function deliveryLine(d: LiveDelivery, style: Style): string {
  const colour = d.outcome === 'succeeded' ? style.green : d.outcome === 'dead' ? style.red : style.yellow
  return [
    style.dim(clock(d.at)),
    colour(d.outcome.padEnd(OUTCOME_WIDTH)),
    `${d.subscriber} attempt ${attemptLabel({ number: d.attempt, cycle: d.cycle })}`,
    d.deliveryId,
    d.eventId,
    `${Math.round(d.durationMs)} ms`,
    d.error ? style.red(d.error) : '',
  ]
    .join('  ')
    .trimEnd()
}

/** `12:00:01.123` (UTC) from ISO text. */
function clock(iso: string): string {
  return iso.slice(11, 23)
}

function describeFilters(flags: TailFlags): string {
  const parts = [
    flags.type && `type ${flags.type}`,
    flags.location && `location ${flags.location}`,
    flags.source && `source ${flags.source}`,
    !flags.deliveries && 'events only',
  ].filter(Boolean)
  return parts.length ? `${parts.join(', ')}; ` : ''
}

const seconds = (ms: number) => `${ms / 1000} s`

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
