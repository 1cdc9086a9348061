import type { AttemptJson, DeliveryJson } from '../../api/schemas/index.js'
import type { Style } from '../ui/style.js'
import { formatTable } from '../ui/table.js'
import { oneLine } from './deliveries-shared.js'

/**
 * Terminal output of a delivery's attempts, shared by `events show`, `dlq show` and `tail`: one
 * numbering everywhere — attempt 1, 2, … within a cycle, and the cycle named when it is a replay
 * (`2 (replay 1)`), as the handler's `ctx.attempt` and the `x-gateway-attempt` header say.
 */

/** A delivery's attempt counters, as the API gives them. */
export type AttemptCounters = Pick<DeliveryJson, 'cycle' | 'attemptsInCycle' | 'totalAttempts'>

/** `2`, or `2 (replay 1)` for an attempt of a replay. */
export function attemptLabel(a: { number: number; cycle: number }): string {
  return a.cycle > 0 ? `${a.number} (replay ${a.cycle})` : String(a.number)
}

/** `2 this cycle, 2 in all`, or `1 this cycle (replay 1), 3 in all`. */
export function attemptCountText(d: AttemptCounters): string {
  const replay = d.cycle > 0 ? ` (replay ${d.cycle})` : ''
  return `${d.attemptsInCycle} this cycle${replay}, ${d.totalAttempts} in all`
}

function errorText(a: AttemptJson): string {
  return a.errorClass || a.errorMessage ? `${a.errorClass ?? 'Error'}: ${oneLine(a.errorMessage, 200)}` : ''
}

/**
 * The attempts as a table (`#`, started, duration, outcome, the destination's status when any
 * attempt has one, the OpenTelemetry trace id when any has one, error), each line prefixed by `indent`; with `stack`, one block per attempt
 * with its recorded stack under it (a table's columns would be torn apart by them).
 */
export function formatAttempts(
  history: readonly AttemptJson[],
  style: Style,
  options: { stack?: boolean; indent?: string } = {},
): string {
  const indent = options.indent ?? ''
  const withStatus = history.some((a) => a.response !== null)
  // `!= null`: a gateway older than tracing answers without the field.
  const withTrace = history.some((a) => a.traceId != null)
  const rows = history.map((a) => [
    attemptLabel(a),
    a.startedAt.replace('T', ' '),
    `${a.durationMs.toFixed(1)} ms`,
    a.outcome,
    ...(withStatus ? [a.response?.status == null ? '—' : String(a.response.status)] : []),
    ...(withTrace ? [a.traceId ?? '—'] : []),
    errorText(a),
  ])
  if (!options.stack) {
    const header = [
      '#',
      'STARTED',
      'DURATION',
      'OUTCOME',
      ...(withStatus ? ['STATUS'] : []),
      ...(withTrace ? ['TRACE'] : []),
      'ERROR',
    ]
    return formatTable(header, rows)
      .split('\n')
      .map((line) => `${indent}${line}`)
      .join('\n')
  }
  return history
    .map((a, i) => {
      const [label, ...rest] = rows[i]!
      const head = `${indent}${style.bold(`#${label}`)}  ${rest.filter(Boolean).join('  ')}`
      return a.errorStack ? `${head}\n${style.dim(a.errorStack.replace(/^/gm, `${indent}    `))}` : head
    })
    .join('\n')
}

/**
 * A destination's bytes, safe to print: control characters (ESC and friends could drive the
 * operator's terminal) are shown as `\xNN`; tabs stay.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g
const printable = (text: string) =>
  text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)

/** Response headers worth a line in a terminal; the rest are in `--json`. */
const SHOWN_HEADERS = /^(content-type|retry-after|location|www-authenticate|.*request-id|.*ratelimit.*)$/
const BODY_LINES = 12
const BODY_CHARS = 1000

/**
 * The last saved response of a destination's attempts: status, duration, the headers worth
 * showing, the start of the body. Nothing for handlers (they have no response).
 */
export function formatLastResponse(history: readonly AttemptJson[], style: Style, indent = ''): string[] {
  const last = history.findLast((a) => a.response !== null)
  if (!last?.response) return []
  const r = last.response
  const which = `attempt ${attemptLabel(last)}`
  if (r.status === null)
    return [`${indent}${style.dim('response')}    none (${which}: ${errorText(last) || 'no answer'})`]
  const lines = [
    `${indent}${style.dim('response')}    ${r.status} after ${r.durationMs.toFixed(1)} ms (${which})`,
  ]
  const headers = Object.entries(r.headers ?? {})
  const shown = headers.filter(([name]) => SHOWN_HEADERS.test(name))
  for (const [name, value] of shown) lines.push(`${indent}  ${name}: ${printable(value)}`)
  if (headers.length > shown.length)
    lines.push(style.dim(`${indent}  (${headers.length - shown.length} more headers: --json shows them)`))
  if (!r.body) {
    lines.push(style.dim(`${indent}  (empty body${r.truncated ? ', not saved' : ''})`))
    return lines
  }
  if (r.bodyEncoding === 'base64') {
    const bytes = Buffer.from(r.body, 'base64').length
    lines.push(style.dim(`${indent}  (binary body, ${bytes} bytes saved: --json shows it as base64)`))
    return lines
  }
  const text = r.body.length > BODY_CHARS ? `${r.body.slice(0, BODY_CHARS)}…` : r.body
  const bodyLines = text.split(/\r?\n/)
  lines.push(`${indent}  ${style.dim('body')}`)
  for (const line of bodyLines.slice(0, BODY_LINES)) lines.push(`${indent}    ${printable(line)}`)
  if (bodyLines.length > BODY_LINES || r.body.length > BODY_CHARS)
    lines.push(style.dim(`${indent}  (more was saved: --json shows it)`))
  if (r.truncated) lines.push(style.dim(`${indent}  (the destination sent more than was saved)`))
  return lines
}
