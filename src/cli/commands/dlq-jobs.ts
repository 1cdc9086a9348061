import type { DlqCountJson, DlqJobJson, DlqJobListJson } from '../../api/schemas/index.js'
import type { AdminClient } from '../admin-client.js'
import { CliError } from '../errors.js'
import { createProgress } from '../ui/progress.js'
import { confirmBulk, countText, type DeliveryFilterFlags, filterQuery } from './deliveries-shared.js'

/**
 * `dlq replay --all` / `dlq purge --all`: the gateway does the work as a background job (POST
 * /api/dlq/jobs), counted first and confirmed with that count; `--wait` follows its progress. And
 * `dlq jobs [id] [--cancel]`.
 */

export interface JobFlags extends DeliveryFilterFlags {
  yes?: boolean
  json?: boolean
  wait?: boolean
}

const FINISHED = new Set(['succeeded', 'cancelled', 'failed'])

export async function startDlqJob(
  api: AdminClient,
  action: 'replay' | 'purge',
  flags: JobFlags,
): Promise<void> {
  const query = filterQuery(flags)
  const filter: Record<string, string> = {}
  for (const [key, value] of Object.entries(query)) if (value !== undefined) filter[key] = value
  const { count, capped } = await api.get<DlqCountJson>(`/api/dlq/count?${new URLSearchParams(filter)}`)
  if (count === 0) {
    if (flags.json) return console.log(JSON.stringify({ job: null, count: 0 }))
    return console.log(`no dead deliveries match; nothing to ${action}`)
  }
  await confirmBulk(
    `${action} ${countText(count, capped, 'dead')} (in the background, on the gateway)`,
    flags.yes,
  )
  let job = await api.post<DlqJobJson>('/api/dlq/jobs', { action, filter, expectedCount: count })
  if (!flags.wait) {
    if (flags.json) return console.log(JSON.stringify(job))
    return console.log(`started ${job.id}; follow it with: ghl-gateway dlq jobs ${job.id}`)
  }
  const bar = createProgress({ label: action === 'replay' ? 'replaying' : 'purging', total: job.total })
  try {
    while (!FINISHED.has(job.state)) {
      await new Promise((resolve) => setTimeout(resolve, 1000))
      job = await api.get<DlqJobJson>(`/api/dlq/jobs/${encodeURIComponent(job.id)}`)
      bar.update(job.done)
    }
  } finally {
    bar.done()
  }
  if (flags.json) return console.log(JSON.stringify(job))
  console.log(jobLine(job))
  if (job.state !== 'succeeded')
    throw new CliError(`${job.id} ${job.state}${job.error ? `: ${job.error}` : ''}`)
}

export async function showDlqJobs(
  api: AdminClient,
  id: string | undefined,
  flags: { cancel?: boolean; json?: boolean },
): Promise<void> {
  if (id === undefined) {
    const { data } = await api.get<DlqJobListJson>('/api/dlq/jobs')
    if (flags.json) return console.log(JSON.stringify(data, null, 2))
    if (data.length === 0) return console.log('no bulk jobs yet')
    for (const job of data) console.log(jobLine(job))
    return
  }
  const path = `/api/dlq/jobs/${encodeURIComponent(id)}`
  const job = flags.cancel ? await api.delete<DlqJobJson>(path) : await api.get<DlqJobJson>(path)
  if (flags.json) return console.log(JSON.stringify(job, null, 2))
  console.log(jobLine(job))
}

function jobLine(job: DlqJobJson): string {
  const filter = Object.entries(job.filter)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('|') : value}`)
    .join(' ')
  return `${job.id}  ${job.action}  ${job.state}  ${job.done} of ${job.total}${job.totalCapped ? '+' : ''}  ${filter || '(all)'}${job.error ? `  ${job.error}` : ''}`
}
