import { once } from 'node:events'
import { createWriteStream, renameSync, rmSync } from 'node:fs'
import type { Writable } from 'node:stream'
import type { Command } from 'commander'
import type {
  EventDetailJson,
  EventListItemJson,
  EventPageJson,
  TimelinePageJson,
} from '../../api/schemas/index.js'
import { isGhlEventName } from '../../catalog/index.js'
import { EVENT_DELIVERY_STATUSES } from '../../store/event-delivery-status.js'
import { type AdminClient, clientFor } from '../admin-client.js'
import {
  choiceOption,
  ADMIN_ENV_HELP as ENV_HELP,
  instantOption,
  integerOption,
  withConnection,
} from '../options.js'
import { createProgress } from '../ui/progress.js'
import { printDetail, printTable, printTimeline } from './events-format.js'

/** `events list|show|timeline|export`: the admin API's GET /api/events(/:id) and the entity timeline. */

interface ConnectionFlags {
  url: string
  token?: string
}

interface FilterFlags {
  type?: string
  location?: string
  company?: string
  source?: string
  webhookId?: string
  entity?: string
  schema?: string
  since?: string
  until?: string
  search?: string
  status?: string
}

const PAGE_MAX = 500

function filterQuery(flags: FilterFlags): Record<string, string | undefined> {
  // `--type ContactCreate` means the GHL doc name; `--type contact.created` the published type.
  const byName = flags.type !== undefined && isGhlEventName(flags.type)
  return {
    type: byName ? undefined : flags.type,
    name: byName ? flags.type : undefined,
    locationId: flags.location,
    companyId: flags.company,
    source: flags.source,
    webhookId: flags.webhookId,
    entityId: flags.entity,
    schema: flags.schema,
    since: flags.since,
    until: flags.until,
    q: flags.search,
    status: flags.status,
  }
}

function withFilters(command: Command): Command {
  return command
    .option('-t, --type <type>', 'event type: contact.created, or the GHL name ContactCreate')
    .option('-l, --location <id>', 'GHL locationId (sub-account)')
    .option('--company <id>', 'GHL companyId (agency)')
    .option('-s, --source <id>', 'webhook source (ghl, or one from the config file)')
    .option('--webhook-id <id>', "the sender's webhookId")
    .option('--entity <id>', 'id of the contact, opportunity, … the event is about')
    .option(
      '--schema <status>',
      'valid, drift or unknown',
      choiceOption(['valid', 'drift', 'unknown'] as const),
    )
    .option(
      '--since <time>',
      'received at or after: ISO time, epoch ms, or an age (15m, 2h, 7d)',
      instantOption,
    )
    .option('--until <time>', 'received before (same forms as --since)', instantOption)
    .option(
      '-q, --search <text>',
      'an id (evt_…, dlv_…, webhookId, entity id), or text in the raw body (an email, a name)',
    )
    .option(
      '--status <status>',
      'delivery status: failed, pending, discarded, delivered or none',
      choiceOption(EVENT_DELIVERY_STATUSES),
    )
}

const client = (flags: ConnectionFlags): AdminClient => clientFor(flags)

export function registerEvents(program: Command): void {
  const events = program
    .command('events')
    .description("Query stored events through a running gateway's admin API (needs ADMIN_TOKEN).")
    .addHelpText(
      'after',
      `\nExamples:\n  $ ghl-gateway events list --type contact.created --since 1h\n  $ ghl-gateway events show evt_01J…\n  $ ghl-gateway events export --out events.ndjson --since 7d\n\n${ENV_HELP}`,
    )

  withFilters(withConnection(events.command('list')))
    .description('List events, newest first.')
    .option(
      '-n, --limit <n>',
      'how many (pages through the API when more than 500)',
      integerOption(1, 1_000_000),
      20,
    )
    .option('--cursor <cursor>', 'continue after a previous page (printed at the end)')
    .option('--json', 'print {data, nextCursor} as JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  $ ghl-gateway events list\n  $ ghl-gateway events list --type InvoicePaid --location loc_123 --since 2h --limit 100\n  $ ghl-gateway events list --status failed --since 24h\n  $ ghl-gateway events list --search jane@example.com\n  $ ghl-gateway events list --json | jq '.data[].webhookId'\n\n${ENV_HELP}`,
    )
    .action(
      async (flags: ConnectionFlags & FilterFlags & { limit: number; cursor?: string; json?: boolean }) => {
        const api = client(flags)
        const data: EventListItemJson[] = []
        let cursor = flags.cursor
        let nextCursor: string | null = null
        for (let pages = 0; pages < 10_000 && data.length < flags.limit; pages++) {
          const page = await api.get<EventPageJson>('/api/events', {
            ...filterQuery(flags),
            limit: Math.min(PAGE_MAX, flags.limit - data.length),
            cursor,
          })
          data.push(...page.data)
          nextCursor = page.nextCursor
          if (!nextCursor) break
          cursor = nextCursor
        }
        if (flags.json) return console.log(JSON.stringify({ data, nextCursor }, null, 2))
        printTable(data)
        if (nextCursor) console.error(`more: ghl-gateway events list --cursor ${nextCursor} (same filters)`)
      },
    )

  withConnection(events.command('show'))
    .description(
      'Show one event: metadata, verification, its deliveries with every attempt, kept headers and the body.',
    )
    .argument('<id>', 'event id (evt_…)')
    .option('--json', "print the API's JSON (with the exact bytes as base64 in rawBody)")
    .addHelpText(
      'after',
      `\nExamples:\n  $ ghl-gateway events show evt_01J9Z…\n  $ ghl-gateway events show evt_01J9Z… --json | jq .body\n\n${ENV_HELP}`,
    )
    .action(async (id: string, flags: ConnectionFlags & { json?: boolean }) => {
      const event = await client(flags).get<EventDetailJson>(`/api/events/${encodeURIComponent(id)}`)
      if (flags.json) return console.log(JSON.stringify(event, null, 2))
      printDetail(event)
    })

  withConnection(events.command('timeline'))
    .description(
      "One entity's events, oldest first, with what changed between consecutive ones, field by field.",
    )
    .argument('<kind>', 'entity kind: contact, opportunity, … (an event\'s "entity")')
    .argument('<id>', 'entity id')
    .option('-n, --limit <n>', 'events per page (1–50)', integerOption(1, 50), 20)
    .option('--cursor <cursor>', 'continue after a previous page (printed at the end)')
    .option('--json', "print the API's JSON")
    .addHelpText(
      'after',
      `\nExamples:\n  $ ghl-gateway events timeline contact nmFmQEsNgz6AVpgLVUJ0\n  $ ghl-gateway events timeline contact nmFmQEsNgz6AVpgLVUJ0 --json | jq '.data[].diff.changes'\n\n${ENV_HELP}`,
    )
    .action(
      async (
        kind: string,
        id: string,
        flags: ConnectionFlags & { limit: number; cursor?: string; json?: boolean },
      ) => {
        const page = await client(flags).get<TimelinePageJson>(
          `/api/entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}/timeline`,
          { limit: flags.limit, cursor: flags.cursor },
        )
        if (flags.json) return console.log(JSON.stringify(page, null, 2))
        printTimeline(page)
        if (page.nextCursor)
          console.error(`more: ghl-gateway events timeline ${kind} ${id} --cursor ${page.nextCursor}`)
      },
    )

  withFilters(withConnection(events.command('export')))
    .description('Write every matching event as NDJSON (all pages), with a progress display on a terminal.')
    .option('-o, --out <file>', 'output file (default: stdout)')
    .option('--bodies', 'include headers and body (one extra request per event)')
    .addHelpText(
      'after',
      `\nExamples:\n  $ ghl-gateway events export --out events.ndjson\n  $ ghl-gateway events export --type contact.created --since 24h --bodies > contacts.ndjson\n\n${ENV_HELP}`,
    )
    .action(async (flags: ConnectionFlags & FilterFlags & { out?: string; bodies?: boolean }) => {
      await exportEvents(client(flags), flags)
    })
}

async function exportEvents(
  api: AdminClient,
  flags: FilterFlags & { out?: string; bodies?: boolean },
): Promise<void> {
  const partial = flags.out ? `${flags.out}.partial` : undefined
  const output: Writable = partial ? createWriteStream(partial, { flags: 'w' }) : process.stdout
  // Progress goes to stderr, and not when the NDJSON itself is going to the same terminal.
  const bar = createProgress({ label: 'exporting', enabled: partial !== undefined || !process.stdout.isTTY })
  const write = async (line: string) => {
    if (!output.write(`${line}\n`)) await once(output, 'drain')
  }
  let count = 0
  const started = Date.now()
  try {
    let cursor: string | undefined
    for (let pages = 0; pages < 1_000_000; pages++) {
      const page = await api.get<EventPageJson>('/api/events', {
        ...filterQuery(flags),
        limit: PAGE_MAX,
        cursor,
      })
      const rows = flags.bodies ? await fetchDetails(api, page.data) : page.data
      for (const row of rows) await write(JSON.stringify(row))
      count += rows.length
      bar.update(count, `${Math.round((count * 1000) / Math.max(1, Date.now() - started))}/s`)
      if (!page.nextCursor) break
      cursor = page.nextCursor
    }
    if (partial) {
      output.end()
      await once(output, 'finish')
      renameSync(partial, flags.out!)
    }
  } catch (error) {
    if (partial) {
      output.destroy()
      rmSync(partial, { force: true })
    }
    throw error
  } finally {
    bar.done()
  }
  if (flags.out) console.error(`exported ${count} event${count === 1 ? '' : 's'} to ${flags.out}`)
}

/** Event details for one page, eight requests at a time, in page order. */
async function fetchDetails(
  api: AdminClient,
  page: readonly EventListItemJson[],
): Promise<EventDetailJson[]> {
  const out: EventDetailJson[] = new Array(page.length)
  let next = 0
  const worker = async () => {
    while (next < page.length) {
      const i = next++
      out[i] = await api.get<EventDetailJson>(`/api/events/${encodeURIComponent(page[i]!.id)}`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(8, page.length) }, worker))
  return out
}
