import type { AttemptJson, GhlCallJson, SavedResponseJson } from '../../../src/api/schemas/index.js'
import { Time } from '../time.js'
import { StateBadge, TextBlock } from './common.js'

/**
 * Every attempt of a delivery, oldest first, each with what the destination answered. A Trace
 * column appears when an attempt ran in an OpenTelemetry trace (the id to look up in the tracing
 * backend), as in `ghl-gateway dlq show`.
 */
export function AttemptsTable({ attempts, caption }: { attempts: AttemptJson[]; caption: string }) {
  if (attempts.length === 0) return <p class="muted">No attempt yet.</p>
  const withTrace = attempts.some((attempt) => attempt.traceId != null)
  return (
    <table class="attempts">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Cycle</th>
          <th scope="col">Attempt</th>
          <th scope="col">Started</th>
          <th scope="col">Duration</th>
          <th scope="col">Outcome</th>
          <th scope="col">Status</th>
          <th scope="col">Error</th>
          {withTrace && <th scope="col">Trace</th>}
        </tr>
      </thead>
      <tbody>
        {attempts.map((attempt) => (
          <AttemptRow key={attempt.id} attempt={attempt} withTrace={withTrace} />
        ))}
      </tbody>
    </table>
  )
}

function AttemptRow({ attempt, withTrace }: { attempt: AttemptJson; withTrace: boolean }) {
  const error = [attempt.errorClass, attempt.errorMessage].filter(Boolean).join(': ')
  const columns = withTrace ? 8 : 7
  return (
    <>
      <tr>
        <td>{attempt.cycle === 0 ? 'original' : `replay ${attempt.cycle}`}</td>
        <th scope="row">{attempt.number}</th>
        <td>
          <Time iso={attempt.startedAt} />
        </td>
        <td>{Math.round(attempt.durationMs)} ms</td>
        <td>
          <StateBadge state={attempt.outcome} />
        </td>
        <td>{attempt.response?.status ?? <span class="muted">—</span>}</td>
        <td class="wrap">{error || <span class="muted">—</span>}</td>
        {withTrace && (
          <td class="trace">
            {attempt.traceId ? <code>{attempt.traceId}</code> : <span class="muted">—</span>}
          </td>
        )}
      </tr>
      {attempt.response && (
        <tr class="detail-row">
          <td colSpan={columns}>
            <SavedResponse response={attempt.response} />
          </td>
        </tr>
      )}
      {attempt.ghlCalls && attempt.ghlCalls.length > 0 && (
        <tr class="detail-row">
          <td colSpan={columns}>
            <GhlCalls calls={attempt.ghlCalls} />
          </td>
        </tr>
      )}
    </>
  )
}

function SavedResponse({ response }: { response: SavedResponseJson }) {
  const headers = Object.entries(response.headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')
  return (
    <details>
      <summary>
        Saved response: {response.status ?? 'no answer'}
        {response.truncated ? ' (body truncated)' : ''}
      </summary>
      {headers && <TextBlock label="Response headers" text={headers} />}
      {response.body !== undefined && (
        <TextBlock
          label="Response body"
          text={response.bodyEncoding === 'base64' ? `(base64) ${response.body}` : response.body}
        />
      )}
    </details>
  )
}

/** The GHL API calls a handler made in the attempt (ctx.ghl): the last 20, oldest first. */
function GhlCalls({ calls }: { calls: GhlCallJson[] }) {
  const lines = calls
    .map(
      (call) =>
        `${call.method} ${call.path} → ${call.status ?? 'no answer'} (${Math.round(call.durationMs)} ms, Version ${call.version}, ${call.operation})`,
    )
    .join('\n')
  return (
    <details>
      <summary>
        GHL calls: {calls.length}
        {calls.some((call) => call.status === null || call.status >= 400) ? ' (some failed)' : ''}
      </summary>
      <TextBlock label="GHL calls" text={lines} />
    </details>
  )
}
