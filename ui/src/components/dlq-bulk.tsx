import { useEffect, useState } from 'preact/hooks'
import type { DlqCountJson, DlqJobJson, DlqJobListJson } from '../../../src/api/schemas/index.js'
import { api, messageOf } from '../api.js'
import { Time } from '../time.js'
import { ErrorNote } from './common.js'

/**
 * Bulk replay and purge of every dead delivery a filter matches: counted first (the count is what
 * the user confirms, and the server refuses the job if more match by then), then a background job
 * on the gateway whose progress is polled every second, cancellable; and the recent jobs.
 */

export type DlqFilterValues = Partial<
  Record<'type' | 'subscriber' | 'tenant' | 'error' | 'since' | 'until' | 'fingerprint', string>
>
type Action = DlqJobJson['action']

const number = (n: number) => n.toLocaleString('en-US')
const plural = (n: number) => (n === 1 ? 'dead delivery' : 'dead deliveries')
const VERB: Record<Action, string> = { replay: 'Replay', purge: 'Purge' }

/** `subscriber=audit, type=contact.created`, or "the whole dead-letter queue". */
export function describeFilter(filter: DlqFilterValues): string {
  const parts = Object.entries(filter).map(([key, value]) => `${key}=${value}`)
  return parts.length ? `matching ${parts.join(', ')}` : 'in the dead-letter queue'
}

/** The two bulk buttons, the count to confirm, then the job's progress. */
export function BulkActions({
  filter,
  what,
  onJob,
  onStart,
}: {
  filter: DlqFilterValues
  /** Names the target in the buttons: "all matching", "this group". */
  what: string
  /** A job was started or ended: lists reload. */
  onJob: () => void
  /** Shows the started job's progress elsewhere (a group's row goes away when its job ends). */
  onStart?: (jobId: string) => void
}) {
  const [confirm, setConfirm] = useState<{ action: Action; count: DlqCountJson } | null>(null)
  const [jobId, setJobId] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const key = JSON.stringify(filter)
  useEffect(() => {
    setConfirm(null)
    setJobId(null)
  }, [key])

  const count = async (action: Action) => {
    setError(null)
    try {
      setConfirm({ action, count: await api<DlqCountJson>('dlq/count', { query: filter }) })
    } catch (caught) {
      setError(messageOf(caught))
    }
  }
  const start = async () => {
    if (!confirm) return
    setError(null)
    try {
      const job = await api<DlqJobJson>('dlq/jobs', {
        method: 'POST',
        body: { action: confirm.action, filter, expectedCount: confirm.count.count },
      })
      setConfirm(null)
      if (onStart) onStart(job.id)
      else {
        setJobId(job.id)
        onJob()
      }
    } catch (caught) {
      setError(messageOf(caught))
    }
  }

  return (
    <div class="bulk">
      <ErrorNote message={error} />
      {confirm === null ? (
        <div class="actions">
          <button type="button" onClick={() => count('replay')}>
            Replay {what}…
          </button>
          <button type="button" class="danger" onClick={() => count('purge')}>
            Purge {what}…
          </button>
        </div>
      ) : (
        <fieldset class="actions confirm">
          <legend class="offscreen">Confirm bulk action</legend>
          <span role="status">
            {confirm.count.count === 0
              ? `No dead delivery ${describeFilter(filter).replace(/^in /, 'is in ')}.`
              : `${VERB[confirm.action]} ${number(confirm.count.count)}${confirm.count.capped ? '+' : ''} ${plural(confirm.count.count)} ${describeFilter(filter)}?`}
          </span>
          {confirm.count.count > 0 && (
            <button type="button" class={confirm.action === 'purge' ? 'danger' : ''} onClick={start}>
              {VERB[confirm.action]} {number(confirm.count.count)}
            </button>
          )}
          <button type="button" class="secondary" onClick={() => setConfirm(null)}>
            Cancel
          </button>
        </fieldset>
      )}
      {jobId && <JobProgress id={jobId} onEnd={onJob} />}
    </div>
  )
}

const FINISHED = new Set(['succeeded', 'cancelled', 'failed'])

/** One job, polled every second until it ends: a progress bar, a Cancel button, the result. */
export function JobProgress({ id, onEnd }: { id: string; onEnd: () => void }) {
  const [job, setJob] = useState<DlqJobJson | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    let current = true
    let timer: ReturnType<typeof setTimeout> | undefined
    const poll = async () => {
      try {
        const answer = await api<DlqJobJson>(`dlq/jobs/${encodeURIComponent(id)}`)
        if (!current) return
        setJob(answer)
        if (FINISHED.has(answer.state)) return onEnd()
      } catch (caught) {
        if (current) setError(messageOf(caught))
      }
      if (current) timer = setTimeout(poll, 1000)
    }
    void poll()
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [id])
  const cancel = async () => {
    try {
      setJob(await api<DlqJobJson>(`dlq/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' }))
    } catch (caught) {
      setError(messageOf(caught))
    }
  }
  if (!job) return <ErrorNote message={error} />
  const verb = job.action === 'replay' ? 'Replayed' : 'Purged'
  const finished = FINISHED.has(job.state)
  return (
    <section class="job-progress" aria-label={`Job ${job.id}`}>
      <ErrorNote message={error} />
      <progress value={job.done} max={Math.max(job.total, job.done, 1)} aria-label="Progress" />
      <span role="status" class="job-line">
        {finished
          ? resultOf(job)
          : `${job.state === 'queued' ? 'Queued' : `${verb}`} ${number(job.done)} of ${number(job.total)}…`}
      </span>
      {!finished && (
        <button type="button" class="secondary small" onClick={cancel}>
          Cancel job
        </button>
      )}
    </section>
  )
}

function resultOf(job: DlqJobJson): string {
  const verb = job.action === 'replay' ? 'Replayed' : 'Purged'
  switch (job.state) {
    case 'succeeded':
      return `Done: ${verb.toLowerCase()} ${number(job.done)} ${plural(job.done)}.`
    case 'cancelled':
      return `Cancelled after ${number(job.done)} of ${number(job.total)}.`
    case 'failed':
      return `Failed after ${number(job.done)}: ${job.error ?? 'unknown error'}.`
    default:
      return job.state
  }
}

/** The gateway's recent bulk jobs (any process's), newest first; an unfinished one can be cancelled here. */
export function RecentJobs({ version }: { version: number }) {
  const [jobs, setJobs] = useState<DlqJobJson[] | null>(null)
  const [cancelled, setCancelled] = useState(0)
  const [error, setError] = useState<string | null>(null)
  const cancel = async (job: DlqJobJson) => {
    setError(null)
    try {
      await api(`dlq/jobs/${encodeURIComponent(job.id)}`, { method: 'DELETE' })
    } catch (caught) {
      setError(messageOf(caught))
    }
    setCancelled((n) => n + 1)
  }
  useEffect(() => {
    let current = true
    api<DlqJobListJson>('dlq/jobs')
      .then((answer) => current && setJobs(answer.data))
      .catch(() => {})
    return () => {
      current = false
    }
  }, [version, cancelled])
  if (!jobs || jobs.length === 0) return null
  return (
    <>
      <ErrorNote message={error} />
      <table class="dlq-jobs">
        <caption>Recent bulk jobs</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Action</th>
            <th scope="col">Filter</th>
            <th scope="col">State</th>
            <th scope="col">Done</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id}>
              <td>
                <Time iso={job.createdAt} />
              </td>
              <td>{job.action}</td>
              <td class="wrap">{describeFilter(jobFilter(job))}</td>
              <td>
                {job.state}
                {!FINISHED.has(job.state) && (
                  <button
                    type="button"
                    class="small secondary"
                    onClick={() => cancel(job)}
                    aria-label={`Cancel job ${job.id}`}
                  >
                    Cancel
                  </button>
                )}
              </td>
              <td>
                {number(job.done)} of {number(job.total)}
                {job.totalCapped ? '+' : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}

function jobFilter(job: DlqJobJson): DlqFilterValues {
  const { types, ...rest } = job.filter
  return { ...(types ? { type: types.join('|') } : {}), ...rest } as DlqFilterValues
}
