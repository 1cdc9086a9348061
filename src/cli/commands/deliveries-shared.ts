import type { Command } from 'commander'
import type { DeliveryJson, DeliveryPageJson } from '../../api/schemas/index.js'
import { byName } from '../../catalog/index.js'
import type { AdminClient } from '../admin-client.js'
import { CliError, UsageError } from '../errors.js'
import { choiceOption, instantOption, integerOption } from '../options.js'
import { confirm } from '../ui/confirm.js'
import { cell, formatTable } from '../ui/table.js'

/**
 * What `replay` and `dlq` share: the delivery filter flags (the admin API's filter), listing
 * through /api/deliveries or /api/dlq page by page, the confirmation for bulk actions, the table.
 */

export const REPLAY_STATES = ['dead', 'succeeded', 'discarded'] as const
export type ReplayState = (typeof REPLAY_STATES)[number]

export interface DeliveryFilterFlags {
  type?: string
  subscriber?: string
  tenant?: string
  error?: string
  since?: string
  until?: string
  limit: number
}

const PAGE_MAX = 500

export function withDeliveryFilters(command: Command, limitDefault: number): Command {
  return command
    .option('-t, --type <type>', 'event type: contact.created, or the GHL name ContactCreate')
    .option('--subscriber <id>', 'handler or destination id')
    .option('--tenant <id>', 'GHL locationId or companyId')
    .option('-e, --error <text>', 'the last error contains this text')
    .option(
      '--since <time>',
      'updated at or after: ISO time, epoch ms, or an age (15m, 2h, 7d)',
      instantOption,
    )
    .option('--until <time>', 'updated before (same forms as --since)', instantOption)
    .option('-n, --limit <n>', 'at most this many deliveries', integerOption(1, 100_000), limitDefault)
}

/** `--state` for replays: which finished deliveries to start again. */
export function withStateOption(command: Command): Command {
  return command.option(
    '--state <state>',
    'dead, succeeded or discarded',
    choiceOption(REPLAY_STATES),
    'dead' as ReplayState,
  )
}

/** True when any filter flag was given (the limit is not a filter). */
export function hasFilters(flags: DeliveryFilterFlags): boolean {
  return [flags.type, flags.subscriber, flags.tenant, flags.error, flags.since, flags.until].some(
    (value) => value !== undefined,
  )
}

/** `--type ContactCreate` means the GHL doc name: the API filters by published type. */
function apiType(type: string | undefined): string | undefined {
  return type === undefined ? undefined : (byName(type)?.canonical ?? type)
}

/** The filter as query parameters of GET /api/deliveries and /api/dlq. */
export function filterQuery(flags: DeliveryFilterFlags): Record<string, string | undefined> {
  return {
    type: apiType(flags.type),
    subscriber: flags.subscriber,
    tenant: flags.tenant,
    error: flags.error,
    since: flags.since,
    until: flags.until,
  }
}

/** The filter as the body of POST /api/replay. */
export function replayFilter(flags: DeliveryFilterFlags, states: readonly ReplayState[]) {
  const filter: Record<string, unknown> = { ...filterQuery(flags), states }
  for (const key of Object.keys(filter)) if (filter[key] === undefined) delete filter[key]
  return { filter, limit: flags.limit }
}

/** Up to `limit` rows of a listing, newest first, page by page; `more` when the limit cut it short. */
export async function listDeliveries(
  api: AdminClient,
  path: '/api/deliveries' | '/api/dlq',
  query: Record<string, string | undefined>,
  limit: number,
  cursor?: string,
): Promise<DeliveryPageJson> {
  const data: DeliveryJson[] = []
  let next: string | undefined = cursor
  let nextCursor: string | null = null
  for (let pages = 0; pages < 10_000 && data.length < limit; pages++) {
    const page = await api.get<DeliveryPageJson>(path, {
      ...query,
      limit: Math.min(PAGE_MAX, limit - data.length),
      cursor: next,
    })
    data.push(...page.data)
    nextCursor = page.nextCursor
    if (!nextCursor) break
    next = nextCursor
  }
  return { data, nextCursor }
}

/**
 * Bulk actions ask first: `--yes` skips the question; without a terminal to ask on (and without
 * `--yes`) they refuse with exit 2; "no" ends the command with exit 1 and nothing done.
 */
export async function confirmBulk(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`${question}: pass --yes to confirm (there is no terminal to ask on)`)
  }
  if (!(await confirm(`${question}?`))) throw new CliError('cancelled; nothing was changed')
}

/** `12 dead deliveries`, `1 dead delivery`, `at least 500 dead deliveries`. */
export function countText(count: number, more: boolean, adjective: string): string {
  return `${more ? 'at least ' : ''}${count} ${adjective} deliver${count === 1 ? 'y' : 'ies'}`
}

export function printDeliveries(rows: readonly DeliveryJson[], none = 'no deliveries match'): void {
  if (!rows.length) {
    console.log(none)
    return
  }
  const table = rows.map((d) => [
    d.updatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    d.id,
    d.state,
    d.subscriber,
    cell(d.type),
    cell(d.tenant.locationId ?? d.tenant.companyId),
    String(d.totalAttempts),
    oneLine(d.lastError, 100),
  ])
  console.log(
    formatTable(
      ['UPDATED', 'DELIVERY', 'STATE', 'SUBSCRIBER', 'TYPE', 'TENANT', 'ATTEMPTS', 'LAST ERROR'],
      table,
    ),
  )
}

export function oneLine(text: string | null, max: number): string {
  if (!text) return '—'
  const flat = text.replace(/\s+/g, ' ')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
