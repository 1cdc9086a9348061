import { useEffect, useState } from 'preact/hooks'
import type { DlqGroupsJson } from '../../../src/api/schemas/index.js'
import { api, messageOf } from '../api.js'
import { href, Link } from '../router.js'
import { Time } from '../time.js'
import { ErrorNote, Loading } from './common.js'
import { BulkActions, type DlqFilterValues, JobProgress } from './dlq-bulk.js'

/**
 * The dead-letter queue grouped by subscriber and error fingerprint (numbers and ids stripped, so
 * "timeout after 5003 ms" and "… 5010 ms" are one group), over the newest dead deliveries; each
 * group replays or purges as a bulk job filtered by its subscriber and fingerprint.
 */
export function DlqGroups({
  filter,
  version,
  onJob,
}: {
  filter: DlqFilterValues
  version: number
  onJob: () => void
}) {
  const [answer, setAnswer] = useState<DlqGroupsJson | null>(null)
  const [error, setError] = useState<string | null>(null)
  /** The job a group's action started: shown above the table, which reloads when it ends. */
  const [jobId, setJobId] = useState<string | null>(null)
  const key = JSON.stringify(filter)
  useEffect(() => {
    let current = true
    api<DlqGroupsJson>('dlq/groups', { query: filter })
      .then((groups) => current && setAnswer(groups))
      .catch((caught: unknown) => current && setError(messageOf(caught)))
    return () => {
      current = false
    }
  }, [key, version])
  const progress = jobId && <JobProgress key={jobId} id={jobId} onEnd={onJob} />
  if (error) return <ErrorNote message={error} />
  if (!answer) return <Loading />
  if (answer.data.length === 0)
    return (
      <>
        {progress}
        <p class="empty">No dead delivery to group: every delivery succeeded or is still being retried.</p>
      </>
    )
  return (
    <>
      {progress}
      <p class="muted">
        {answer.complete
          ? `All ${answer.scanned.toLocaleString('en-US')} matching dead ${answer.scanned === 1 ? 'delivery' : 'deliveries'}, grouped.`
          : `The newest ${answer.scanned.toLocaleString('en-US')} matching dead deliveries, grouped; older ones are not counted here.`}
      </p>
      <table class="dlq-groups">
        <caption class="offscreen">
          Dead deliveries grouped by subscriber and error, largest group first
        </caption>
        <thead>
          <tr>
            <th scope="col">Subscriber</th>
            <th scope="col">Error</th>
            <th scope="col">Count</th>
            <th scope="col">First died</th>
            <th scope="col">Last died</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {answer.data.map((group) => (
            <tr key={`${group.subscriber}\u0000${group.fingerprint ?? ''}`}>
              <td>{group.subscriber}</td>
              <th scope="row" class="wrap">
                {group.fingerprint ?? <span class="muted">(died before errors were fingerprinted)</span>}
                <div class="muted small">
                  e.g.{' '}
                  <Link href={href(`deliveries/${encodeURIComponent(group.sampleDeliveryId)}`)}>
                    {group.sampleError ?? group.sampleDeliveryId}
                  </Link>
                </div>
              </th>
              <td>{group.count.toLocaleString('en-US')}</td>
              <td>
                <Time iso={group.firstDeadAt} />
              </td>
              <td>
                <Time iso={group.lastDeadAt} />
              </td>
              <td class="row-actions">
                {group.fingerprint === null ? (
                  <span class="muted">use the filters</span>
                ) : (
                  <BulkActions
                    filter={{ ...filter, subscriber: group.subscriber, fingerprint: group.fingerprint }}
                    what="this group"
                    onJob={onJob}
                    onStart={setJobId}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  )
}
