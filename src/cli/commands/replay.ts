import type { Command } from 'commander'
import type { ReplayAnswerJson } from '../../api/schemas/index.js'
import { type AdminClient, clientFor } from '../admin-client.js'
import { UsageError } from '../errors.js'
import { ADMIN_ENV_HELP as ENV_HELP, withConnection } from '../options.js'
import {
  confirmBulk,
  countText,
  type DeliveryFilterFlags,
  filterQuery,
  hasFilters,
  listDeliveries,
  type ReplayState,
  replayFilter,
  withDeliveryFilters,
  withStateOption,
} from './deliveries-shared.js'

/** `replay`: POST /api/replay for one event, one delivery, or every delivery matching a filter. */

interface ReplayFlags extends DeliveryFilterFlags {
  url: string
  token?: string
  delivery?: string
  filter?: boolean
  state: ReplayState
  yes?: boolean
  json?: boolean
}

export function registerReplay(program: Command): void {
  withStateOption(withDeliveryFilters(withConnection(program.command('replay')), 10_000))
    .description('Run deliveries again: of one event, one delivery, or every one matching --filter.')
    .argument('[eventId]', 'replay this event to all its subscribers (and subscribers added since)')
    .option('--delivery <id>', 'replay one delivery (dlv_…)')
    .option('--filter', 'replay every delivery matching the filters below (dead ones by default)')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--json', 'print {replayed, added, matched} as JSON')
    .addHelpText(
      'after',
      `
A replay starts a new cycle of attempts (the history is kept). Only finished deliveries are replayed
(dead, succeeded or discarded); pending ones are already on their way. A --filter replay first counts
the matching deliveries and asks before going on (--yes skips the question).

Examples:
  $ ghl-gateway replay evt_01J9Z…
  $ ghl-gateway replay --delivery dlv_01J9Z…
  $ ghl-gateway replay --filter --type ContactCreate --since 2h
  $ ghl-gateway replay --filter --subscriber crm --error ECONNREFUSED --yes
  $ ghl-gateway replay --filter --state succeeded --tenant ve9EPM428h8vShlRW1KT --limit 100

${ENV_HELP}`,
    )
    .action(async (eventId: string | undefined, flags: ReplayFlags) => {
      const targets = [eventId !== undefined, flags.delivery !== undefined, flags.filter === true]
      if (targets.filter(Boolean).length !== 1) {
        throw new UsageError('name what to replay: an event id, --delivery <id>, or --filter with filters')
      }
      if (!flags.filter && (hasFilters(flags) || flags.state !== 'dead')) {
        throw new UsageError(
          '--type, --subscriber, --tenant, --error, --since, --until and --state need --filter',
        )
      }
      const api = clientFor(flags)
      if (eventId !== undefined) {
        const answer = await api.post<ReplayAnswerJson>('/api/replay', { eventId })
        return report(answer, flags.json, `of event ${eventId}`)
      }
      if (flags.delivery !== undefined) {
        const answer = await api.post<ReplayAnswerJson>('/api/replay', { deliveryId: flags.delivery })
        return report(answer, flags.json, `(${flags.delivery})`)
      }
      await replayMatching(api, flags, flags.state)
    })
}

/** Counts what the filter selects, confirms, replays. Shared with `dlq replay`. */
export async function replayMatching(
  api: AdminClient,
  flags: DeliveryFilterFlags & { yes?: boolean; json?: boolean },
  state: ReplayState,
): Promise<void> {
  const { data, nextCursor } = await listDeliveries(
    api,
    '/api/deliveries',
    { ...filterQuery(flags), state },
    flags.limit,
  )
  const matched = data.length
  if (matched === 0) {
    if (flags.json) console.log(JSON.stringify({ replayed: 0, added: 0, matched }))
    else console.log(`no ${state} deliveries match; nothing to replay`)
    return
  }
  const what = countText(matched, nextCursor !== null, state)
  if (!flags.json) console.error(`${what} match${matched === 1 ? 'es' : ''}`)
  await confirmBulk(`replay ${what}${nextCursor !== null ? ` (--limit ${flags.limit})` : ''}`, flags.yes)
  const answer = await api.post<ReplayAnswerJson>('/api/replay', replayFilter(flags, [state]))
  report({ ...answer, matched }, flags.json, `(${state}, matching the filter)`)
}

/** `replayed 2 deliveries of event evt_…`; `nothing replayed …` when nothing was finished. */
function report(
  answer: ReplayAnswerJson & { matched?: number },
  json: boolean | undefined,
  what: string,
): void {
  if (json) {
    console.log(JSON.stringify(answer))
    return
  }
  const total = answer.replayed + answer.added
  if (total === 0) {
    console.log(`nothing replayed ${what}: no finished deliveries (open ones are still on their way)`)
    return
  }
  const added = answer.added ? `, ${answer.added} of them to subscribers added since it arrived` : ''
  console.log(`replayed ${total} deliver${total === 1 ? 'y' : 'ies'} ${what}${added}`)
}
