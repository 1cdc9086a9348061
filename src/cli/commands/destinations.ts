import type { Command } from 'commander'
import type {
  DeliveryJson,
  DeliveryPageJson,
  DestinationDeleteAnswerJson,
  DestinationJson,
  DestinationListJson,
  DestinationTestAnswerJson,
} from '../../api/schemas/index.js'
import { type AdminClient, clientFor } from '../admin-client.js'
import { resolveEvent } from '../event-body.js'
import { ADMIN_ENV_HELP, type ConnectionFlags, withConnection } from '../options.js'
import { type Style, statusColour, styleFor } from '../ui/style.js'
import { cell, formatTable } from '../ui/table.js'
import { confirmBulk, oneLine, printDeliveries } from './deliveries-shared.js'

/** `destinations list|show|pause|resume|test|delete`: /api/destinations from the command line. */

interface JsonFlag {
  json?: boolean
}

const path = (id: string) => `/api/destinations/${encodeURIComponent(id)}`
const print = (value: unknown) => console.log(JSON.stringify(value, null, 2))
const examples = (...lines: string[]) =>
  `\nExamples:\n${lines.map((line) => `  $ ghl-gateway destinations ${line}`).join('\n')}\n\n${ADMIN_ENV_HELP}`

export function registerDestinations(program: Command): void {
  const destinations = program
    .command('destinations')
    .description('HTTP destinations: list, inspect, pause, resume, test-send, delete (needs ADMIN_TOKEN).')
    .addHelpText(
      'after',
      `
A destination that left every running gateway's config file is kept as an orphan: paused, its
deliveries kept, until it is back in a config file or deleted here.
${examples('list', 'show crm-sync', 'pause crm-sync --reason "CRM maintenance"', 'test crm-sync --event opportunity.stage_changed', 'delete old-crm')}`,
    )

  withConnection(destinations.command('list'))
    .description('List destinations: origin, state, orphaned, target, events, open deliveries.')
    .option('--json', 'print {data} as JSON')
    .addHelpText('after', examples('list', "list --json | jq -r '.data[] | select(.orphaned) | .id'"))
    .action(async (flags: ConnectionFlags & JsonFlag) => {
      const page = await clientFor(flags).get<DestinationListJson>('/api/destinations')
      if (flags.json) return print(page)
      printList(page.data)
    })

  withConnection(destinations.command('show'))
    .description('Show one destination: state, definition (secrets as ***), recent failures.')
    .argument('<id>', 'destination id')
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('show crm-sync', 'show crm-sync --json | jq .definition'))
    .action(async (id: string, flags: ConnectionFlags & JsonFlag) => {
      const api = clientFor(flags)
      const destination = await api.get<DestinationJson>(path(id))
      if (flags.json) return print(destination)
      printDetail(destination, await recentFailures(api, id), styleFor(process.stdout))
    })

  withConnection(destinations.command('pause'))
    .description('Pause a destination: its deliveries wait (new events still get them).')
    .argument('<id>', 'destination id')
    .option('--reason <text>', 'why, shown with the state (default: paused by an operator)')
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('pause crm-sync', 'pause crm-sync --reason "CRM maintenance until 14:00"'))
    .action(async (id: string, flags: ConnectionFlags & JsonFlag & { reason?: string }) => {
      const body = flags.reason === undefined ? {} : { reason: flags.reason }
      const destination = await clientFor(flags).post<DestinationJson>(`${path(id)}/pause`, body)
      if (flags.json) return print(destination)
      console.log(`paused ${id}: ${destination.stateReason ?? 'paused'}`)
    })

  withConnection(destinations.command('resume'))
    .description('Resume a paused destination: its waiting deliveries go out.')
    .argument('<id>', 'destination id')
    .option('--json', "print the API's JSON")
    .addHelpText('after', examples('resume crm-sync'))
    .action(async (id: string, flags: ConnectionFlags & JsonFlag) => {
      const destination = await clientFor(flags).post<DestinationJson>(`${path(id)}/resume`, {})
      if (flags.json) return print(destination)
      console.log(`resumed ${id}: ${destination.openDeliveries} open deliveries to send`)
    })

  withConnection(destinations.command('test'))
    .description('Send one event to a destination now, as a delivery would; no delivery is recorded.')
    .argument('<id>', 'destination id')
    .option('-e, --event <name>', 'a catalog fixture: GHL name or canonical name', 'ContactCreate')
    .option('--event-id <id>', 'send this stored event instead (evt_…)')
    .option('--json', "print the API's JSON")
    .addHelpText(
      'after',
      `\nExit code 1 when the destination did not accept it.\n${examples('test crm-sync', 'test crm-sync --event opportunity.stage_changed', 'test crm-sync --event-id evt_01J9Z…')}`,
    )
    .action(async (id: string, flags: ConnectionFlags & JsonFlag & { event: string; eventId?: string }) => {
      const body = flags.eventId ? { eventId: flags.eventId } : { event: resolveEvent(flags.event).name }
      const answer = await clientFor(flags).post<DestinationTestAnswerJson>(`${path(id)}/test`, body)
      if (flags.json) print(answer)
      else printTest(answer, styleFor(process.stdout))
      process.exitCode = answer.ok ? 0 : 1
    })

  withConnection(destinations.command('delete'))
    .description('Delete an API destination or an orphan; its open deliveries go to the dead-letter queue.')
    .argument('<id>', 'destination id')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--json', 'print {deleted, deadLettered} as JSON')
    .addHelpText(
      'after',
      `
A destination a running gateway has in its config file is deleted from that file (and the gateway
restarted): it is then kept as an orphan, paused with its deliveries, until you delete it here.
Dead-lettered deliveries can be replayed (ghl-gateway dlq replay --subscriber <id>) if it returns.
${examples('delete old-crm', 'delete old-crm --yes')}`,
    )
    .action(async (id: string, flags: ConnectionFlags & JsonFlag & { yes?: boolean }) => {
      const api = clientFor(flags)
      const destination = await api.get<DestinationJson>(path(id))
      const open = destination.openDeliveries
      await confirmBulk(
        `delete destination ${id}${destination.orphaned ? ' (orphaned)' : ''} and move its ${open} open deliver${open === 1 ? 'y' : 'ies'} to the dead-letter queue`,
        flags.yes,
      )
      const answer = await api.delete<DestinationDeleteAnswerJson>(path(id))
      if (flags.json) return console.log(JSON.stringify(answer))
      console.log(
        answer.deleted
          ? `deleted ${id}; ${answer.deadLettered} open deliver${answer.deadLettered === 1 ? 'y' : 'ies'} moved to the dead-letter queue`
          : `nothing deleted: ${id} was already gone`,
      )
    })
}

/** `POST https://crm.example`: the method and the URL's origin, never its path or query. */
function target(definition: DestinationJson['definition']): string {
  let origin: string
  try {
    origin = new URL(String(definition.url)).origin
  } catch {
    origin = '—'
  }
  return `${definition.method ?? 'POST'} ${origin}`
}

/** The definition is the document as sent (any JSON): its event patterns, when it has some. */
function eventPatterns(definition: DestinationJson['definition']): string[] {
  return Array.isArray(definition.events) ? definition.events.map(String) : []
}

function stateText(d: DestinationJson, style: Style): string {
  if (d.state === 'active') return style.green(d.state)
  return d.orphaned || d.state === 'paused' ? style.yellow(d.state) : style.dim(d.state)
}

function printList(rows: readonly DestinationJson[]): void {
  if (!rows.length) {
    console.log('no destinations (declare them in the config file, or POST /api/destinations)')
    return
  }
  const table = rows.map((d) => [
    d.id,
    d.origin,
    // Plain text: colour codes would throw the column widths off.
    d.state,
    d.orphaned ? 'yes' : 'no',
    target(d.definition),
    oneLine(eventPatterns(d.definition).join(', '), 40),
    String(d.openDeliveries),
  ])
  console.log(formatTable(['ID', 'ORIGIN', 'STATE', 'ORPHANED', 'TARGET', 'EVENTS', 'OPEN'], table))
  const orphans = rows.filter((d) => d.orphaned).map((d) => d.id)
  if (orphans.length) {
    const one = orphans.length === 1
    console.error(
      `\n${orphans.join(', ')} ${one ? 'is' : 'are'} orphaned (in no running gateway's config file): paused, deliveries kept. Start the gateway with the config file that defines ${one ? 'it' : 'them'}, or delete ${one ? 'it' : 'them'} (ghl-gateway destinations delete <id>)`,
    )
  }
}

/** The newest failing deliveries: waiting for a retry or dead. */
async function recentFailures(api: AdminClient, id: string): Promise<DeliveryJson[]> {
  const pages = await Promise.all(
    ['retry_scheduled', 'dead'].map((state) =>
      api.get<DeliveryPageJson>(`${path(id)}/deliveries`, { state, limit: 5 }),
    ),
  )
  return pages
    .flatMap((page) => page.data)
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    .slice(0, 5)
}

function printDetail(d: DestinationJson, failures: readonly DeliveryJson[], style: Style): void {
  const line = (label: string, value: string) => console.log(`${style.dim(label.padEnd(10))}${value}`)
  console.log(
    `${style.bold(d.id)}  ${stateText(d, style)}  ${d.origin}${d.orphaned ? `  ${style.yellow('ORPHANED')}` : ''}`,
  )
  if (d.stateReason) line('reason', d.stateReason)
  if (d.orphanedAt) line('orphaned', d.orphanedAt)
  line('target', target(d.definition))
  line('events', eventPatterns(d.definition).join(', '))
  line('open', `${d.openDeliveries} deliver${d.openDeliveries === 1 ? 'y' : 'ies'}`)
  const circuit = d.process.running && d.process.circuit ? `, circuit ${d.process.circuit.state}` : ''
  line('process', d.process.running ? `running here${circuit}` : 'not run by the gateway at --url')
  line('updated', `${d.updatedAt}  created ${d.createdAt}`)
  console.log(`\n${style.dim('definition (secrets as ***):')}`)
  console.log(JSON.stringify(d.definition, null, 2))
  console.log(`\n${style.dim('recent failures:')}`)
  printDeliveries(failures, 'none')
}

function printTest(answer: DestinationTestAnswerJson, style: Style): void {
  const response = answer.response
  const status = response?.status ?? undefined
  const verdict = answer.ok ? style.green('ok') : style.red(answer.verdict)
  const duration = response ? `${response.durationMs.toFixed(1)} ms` : '—'
  console.log(`${verdict}  ${statusColour(style, status)(cell(status))}  ${duration}  ${answer.message}`)
  if (response?.body) {
    const body = response.bodyEncoding === 'base64' ? `(binary, base64) ${response.body}` : response.body
    console.log(`${style.dim('response')}  ${oneLine(body, 200)}`)
  }
}
