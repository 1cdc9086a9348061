import type { Command } from 'commander'
import type { DeliveryDetailJson, ReplayAnswerJson } from '../../api/schemas/index.js'
import { AdminApiError, type AdminClient, clientFor } from '../admin-client.js'
import { ADMIN_ENV_HELP as ENV_HELP, withConnection } from '../options.js'
import { createProgress } from '../ui/progress.js'
import { styleFor } from '../ui/style.js'
import { cell } from '../ui/table.js'
import { attemptCountText, formatAttempts, formatLastResponse } from './attempts-format.js'
import {
  confirmBulk,
  countText,
  type DeliveryFilterFlags,
  filterQuery,
  listDeliveries,
  printDeliveries,
  withDeliveryFilters,
} from './deliveries-shared.js'
import { type JobFlags, showDlqJobs, startDlqJob } from './dlq-jobs.js'
import { replayMatching } from './replay.js'

/** `dlq list|show|replay|purge`: the dead-letter queue through GET /api/dlq and friends. */

interface ConnectionFlags {
  url: string
  token?: string
}

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('The dead-letter queue: deliveries that ran out of attempts (needs ADMIN_TOKEN).')
    .addHelpText(
      'after',
      `\nExamples:\n  $ ghl-gateway dlq list --since 1d\n  $ ghl-gateway dlq show dlv_01J…\n  $ ghl-gateway dlq replay --subscriber crm --yes\n  $ ghl-gateway dlq purge --until 30d\n\n${ENV_HELP}`,
    )

  withDeliveryFilters(withConnection(dlq.command('list')), 20)
    .description('List dead deliveries, newest first, with their last error.')
    .option('--cursor <cursor>', 'continue after a previous page (printed at the end)')
    .option('--json', 'print {data, nextCursor} as JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  $ ghl-gateway dlq list\n  $ ghl-gateway dlq list --subscriber crm --error timeout --limit 100\n  $ ghl-gateway dlq list --json | jq -r '.data[].id'\n\n${ENV_HELP}`,
    )
    .action(async (flags: ConnectionFlags & DeliveryFilterFlags & { cursor?: string; json?: boolean }) => {
      const page = await listDeliveries(
        clientFor(flags),
        '/api/dlq',
        filterQuery(flags),
        flags.limit,
        flags.cursor,
      )
      if (flags.json) return console.log(JSON.stringify(page, null, 2))
      printDeliveries(page.data, 'no dead deliveries match')
      if (page.nextCursor)
        console.error(`more: ghl-gateway dlq list --cursor ${page.nextCursor} (same filters)`)
    })

  withConnection(dlq.command('show'))
    .description(
      "Show one delivery: its event, every attempt (time, duration, outcome, status, error) and a destination's last response.",
    )
    .argument('<deliveryId>', 'delivery id (dlv_…)')
    .option('--stack', 'print the stack trace recorded with each failed attempt')
    .option('--json', "print the API's JSON")
    .addHelpText(
      'after',
      `\nWorks for any delivery, dead or not.\n\nExamples:\n  $ ghl-gateway dlq show dlv_01J9Z…\n  $ ghl-gateway dlq show dlv_01J9Z… --stack\n\n${ENV_HELP}`,
    )
    .action(async (id: string, flags: ConnectionFlags & { stack?: boolean; json?: boolean }) => {
      const detail = await clientFor(flags).get<DeliveryDetailJson>(
        `/api/deliveries/${encodeURIComponent(id)}`,
      )
      if (flags.json) return console.log(JSON.stringify(detail, null, 2))
      printDetail(detail, flags.stack === true)
    })

  withDeliveryFilters(withConnection(dlq.command('replay')), 10_000)
    .description('Replay one dead delivery, or every dead delivery matching the filters.')
    .argument('[deliveryId]', 'one delivery (dlv_…); without it, the filters select (all dead ones if none)')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--json', 'print {replayed, added, matched} as JSON')
    .option('--all', 'every dead delivery matching, however many: a background job on the gateway')
    .option('--wait', 'with --all: follow the job until it ends (a progress bar on a terminal)')
    .addHelpText(
      'after',
      `\nA replay starts a new cycle of attempts; the history is kept. Bulk replays count first and ask.\n\nExamples:\n  $ ghl-gateway dlq replay dlv_01J9Z…\n  $ ghl-gateway dlq replay --subscriber crm --since 2h\n  $ ghl-gateway dlq replay --yes\n  $ ghl-gateway dlq replay --all --subscriber crm --wait\n\n${ENV_HELP}`,
    )
    .action(async (id: string | undefined, flags: ConnectionFlags & JobFlags & { all?: boolean }) => {
      const api = clientFor(flags)
      if (id === undefined && flags.all) return startDlqJob(api, 'replay', flags)
      if (id === undefined) return replayMatching(api, flags, 'dead')
      const answer = await api.post<ReplayAnswerJson>('/api/replay', { deliveryId: id })
      if (flags.json) return console.log(JSON.stringify(answer))
      console.log(answer.replayed ? `replayed ${id}` : `nothing replayed: ${id} is still pending or running`)
    })

  withDeliveryFilters(withConnection(dlq.command('purge')), 10_000)
    .description(
      'Purge one dead delivery, or every dead delivery matching the filters (they become discarded).',
    )
    .argument('[deliveryId]', 'one delivery (dlv_…); without it, the filters select (all dead ones if none)')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--json', 'print {purged, skipped} as JSON')
    .option('--all', 'every dead delivery matching, however many: a background job on the gateway')
    .option('--wait', 'with --all: follow the job until it ends (a progress bar on a terminal)')
    .addHelpText(
      'after',
      `
Purged deliveries are marked discarded, not deleted: they leave the queue, keep their history, and
can still be replayed (replay --filter --state discarded). A bulk purge lists the matching deliveries,
asks, then purges exactly those, one DELETE /api/dlq/:id each (a progress bar on a terminal), so a
delivery that died after you confirmed is never purged unseen. One that was replayed meanwhile is
skipped. With --all the gateway purges everything matching (dead when the job starts) as a
background job, in batches; --wait follows it.

Examples:
  $ ghl-gateway dlq purge dlv_01J9Z…
  $ ghl-gateway dlq purge --subscriber old-crm --yes
  $ ghl-gateway dlq purge --until 30d
  $ ghl-gateway dlq purge --all --subscriber old-crm --yes --wait

${ENV_HELP}`,
    )
    .action(async (id: string | undefined, flags: ConnectionFlags & JobFlags & { all?: boolean }) => {
      const api = clientFor(flags)
      if (id === undefined && flags.all) return startDlqJob(api, 'purge', flags)
      if (id !== undefined) {
        await api.delete(`/api/dlq/${encodeURIComponent(id)}`)
        if (flags.json) return console.log(JSON.stringify({ purged: 1, skipped: 0 }))
        return console.log(`purged ${id}`)
      }
      await purgeMatching(api, flags)
    })

  withConnection(dlq.command('jobs'))
    .description(
      'Bulk jobs (replay --all, purge --all, the console): the recent ones, or one; --cancel stops it.',
    )
    .argument('[jobId]', 'one job (job_…)')
    .option('--cancel', 'cancel the job (what it did stays done)')
    .option('--json', "print the API's JSON")
    .action(async (id: string | undefined, flags: ConnectionFlags & { cancel?: boolean; json?: boolean }) =>
      showDlqJobs(clientFor(flags), id, flags),
    )
}

interface ActionFlags {
  yes?: boolean
  json?: boolean
}

async function purgeMatching(api: AdminClient, flags: DeliveryFilterFlags & ActionFlags): Promise<void> {
  const { data, nextCursor } = await listDeliveries(api, '/api/dlq', filterQuery(flags), flags.limit)
  if (data.length === 0) {
    if (flags.json) console.log(JSON.stringify({ purged: 0, skipped: 0 }))
    else console.log('no dead deliveries match; nothing to purge')
    return
  }
  const what = countText(data.length, nextCursor !== null, 'dead')
  if (!flags.json) console.error(`${what} match${data.length === 1 ? 'es' : ''}`)
  await confirmBulk(`purge ${what}${nextCursor !== null ? ` (--limit ${flags.limit})` : ''}`, flags.yes)
  const bar = createProgress({ label: 'purging', total: data.length })
  let purged = 0
  let skipped = 0
  let next = 0
  // Eight requests in flight: quick on a big queue, gentle on the gateway.
  const worker = async () => {
    while (next < data.length) {
      const row = data[next++]!
      try {
        await api.delete(`/api/dlq/${encodeURIComponent(row.id)}`)
        purged++
      } catch (error) {
        // Replayed (no longer dead) or already purged by someone else since the listing.
        if (!(error instanceof AdminApiError) || (error.status !== 400 && error.status !== 404)) throw error
        skipped++
      }
      bar.update(purged + skipped)
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(8, data.length) }, worker))
  } finally {
    bar.done()
  }
  if (flags.json) return console.log(JSON.stringify({ purged, skipped }))
  console.log(
    `purged ${purged} dead deliver${purged === 1 ? 'y' : 'ies'}${skipped ? ` (${skipped} skipped: no longer dead)` : ''}`,
  )
}

function printDetail(d: DeliveryDetailJson, stack: boolean): void {
  const style = styleFor(process.stdout)
  const line = (label: string, value: string) => console.log(`${style.dim(label.padEnd(12))}${value}`)
  const state =
    d.state === 'dead' ? style.red(d.state) : d.state === 'succeeded' ? style.green(d.state) : d.state
  console.log(`${style.bold(d.id)}  ${state}  subscriber ${d.subscriber}`)
  const e = d.event
  line('event', `${e.id}  ${cell(e.type)}${e.name && e.name !== e.type ? ` (${e.name})` : ''}`)
  line('received', `${e.receivedAt}  source ${e.source}  webhookId ${cell(e.webhookId)}`)
  line('tenant', `location ${cell(e.tenant.locationId)}  company ${cell(e.tenant.companyId)}`)
  line('attempts', attemptCountText(d))
  line('updated', `${d.updatedAt}${d.completedAt ? `  completed ${d.completedAt}` : `  next run ${d.runAt}`}`)
  if (d.lastError) line('last error', d.lastError)
  for (const text of formatLastResponse(d.attemptHistory, style)) console.log(text)
  if (!d.attemptHistory.length) {
    console.log(style.dim('\nno attempts yet'))
    return
  }
  console.log('')
  console.log(formatAttempts(d.attemptHistory, style, { stack }))
}
