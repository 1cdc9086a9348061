import type {
  EventDeliveryJson,
  EventDetailJson,
  EventListItemJson,
  TimelinePageJson,
} from '../../api/schemas/index.js'
import { type Style, styleFor } from '../ui/style.js'
import { cell, formatTable } from '../ui/table.js'
import { attemptCountText, formatAttempts, formatLastResponse } from './attempts-format.js'

/** Terminal output of `events list`, `show` and `timeline`: what GET /api/events(/:id) answered, readable. */

export function printTable(events: readonly EventListItemJson[]): void {
  if (!events.length) {
    console.log('no events match')
    return
  }
  const style = styleFor(process.stdout)
  const rows = events.map((e) => [
    e.receivedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    e.id,
    cell(e.type),
    cell(e.name),
    cell(e.tenant.locationId ?? e.tenant.companyId),
    e.verification.verified ? 'yes' : e.verification.scheme === 'none' ? 'none' : style.yellow('NO'),
    e.deliveryStatus === 'failed' ? style.red(e.deliveryStatus) : e.deliveryStatus,
    e.duplicateCount ? String(e.duplicateCount) : '',
    e.flags.join(','),
  ])
  console.log(
    formatTable(['RECEIVED', 'ID', 'TYPE', 'NAME', 'TENANT', 'VERIFIED', 'DELIVERY', 'DUPS', 'FLAGS'], rows),
  )
}

export function printDetail(e: EventDetailJson): void {
  const style = styleFor(process.stdout)
  const line = (label: string, value: string) => console.log(`${style.dim(label.padEnd(12))}${value}`)
  console.log(`${style.bold(e.id)}  ${cell(e.type)}${e.name && e.name !== 'unknown' ? ` (${e.name})` : ''}`)
  line(
    'received',
    `${e.receivedAt}${e.sentAt ? `  sent ${e.sentAt}` : ''}${e.occurredAt ? `  occurred ${e.occurredAt}` : ''}`,
  )
  line('source', `${e.source}  webhookId ${cell(e.webhookId)}`)
  line('tenant', `location ${cell(e.tenant.locationId)}  company ${cell(e.tenant.companyId)}`)
  line('entity', `${cell(e.entity.kind)} ${cell(e.entity.id)}`)
  const v = e.verification
  line(
    'verified',
    v.verified
      ? style.green(`${v.scheme}${v.keyId ? ` (${v.keyId})` : ''}`)
      : style.yellow(`no (${v.scheme}${v.failure !== undefined ? `: ${v.failure}` : ''})`),
  )
  line(
    'schema',
    `${cell(e.schemaStatus)}  duplicates ${e.duplicateCount}  flags ${e.flags.length ? e.flags.join(', ') : '—'}`,
  )
  const notes = e.classification?.notes ?? []
  for (const note of notes) line('note', note)
  printEventDeliveries(e.deliveries, style)
  const headers = e.headers
  if (Object.keys(headers).length) {
    console.log(style.dim('headers'))
    for (const [k, value] of Object.entries(headers)) console.log(`  ${k}: ${value}`)
  }
  console.log(style.dim(`body (${e.bodyBytes} bytes)`))
  if (e.bodyNote !== null) console.log(style.yellow(e.bodyNote))
  console.log(
    e.body === null || e.body === undefined
      ? Buffer.from(e.rawBody, 'base64').toString('utf8')
      : JSON.stringify(e.body, null, 2),
  )
}

/**
 * Each delivery of the event (one per subscriber): its state and counters, last error, a
 * destination's last response, and every attempt.
 */
function printEventDeliveries(deliveries: readonly EventDeliveryJson[], style: Style): void {
  if (!deliveries.length) {
    console.log(`${style.dim('deliveries'.padEnd(12))}none (no subscriber wanted this event)`)
    return
  }
  console.log(style.dim(`deliveries (${deliveries.length})`))
  for (const d of deliveries) {
    const state =
      d.state === 'dead' ? style.red(d.state) : d.state === 'succeeded' ? style.green(d.state) : d.state
    const when = d.completedAt ? `completed ${d.completedAt}` : `next run ${d.runAt}`
    console.log(`  ${style.bold(d.subscriber)}  ${state}  ${d.id}  attempts ${attemptCountText(d)}  ${when}`)
    if (d.lastError) console.log(`  ${style.dim('last error'.padEnd(12))}${d.lastError}`)
    for (const text of formatLastResponse(d.attemptHistory, style, '  ')) console.log(text)
    if (d.attemptHistory.length) console.log(formatAttempts(d.attemptHistory, style, { indent: '    ' }))
  }
}

const MARK = { added: '+', removed: '-', changed: '~' } as const

/** One page of an entity's timeline: each event, then what changed since the one before it. */
export function printTimeline(page: TimelinePageJson): void {
  if (!page.data.length) {
    console.log(`no events of ${page.entity.kind} ${cell(page.entity.id)}`)
    return
  }
  const style = styleFor(process.stdout)
  for (const { event, diff, diffNote } of page.data) {
    console.log(`${event.receivedAt}  ${event.id}  ${cell(event.name ?? event.type)}`)
    if (diff === null) {
      console.log(style.dim(`  ${diffNote}`))
      continue
    }
    // Paths and values are JSON text (control characters escaped), so a payload cannot steer the terminal.
    for (const c of diff.changes) {
      const value =
        c.change === 'added' ? c.after : c.change === 'removed' ? c.before : `${c.before} → ${c.after}`
      console.log(`  ${MARK[c.change]} ${cell(c.path)}: ${value}`)
    }
    if (!diff.changes.length) console.log(style.dim('  no field changed'))
    if (diff.volatile.length)
      console.log(style.dim(`  (${diff.volatile.map((c) => c.path).join(', ')} changed too)`))
    if (diff.truncated) console.log(style.dim('  (the comparison stopped at its limits: there may be more)'))
  }
}
