import type { EventDetailJson } from '../../src/api/schemas/index.js'
import { API_BASE } from './api.js'

/**
 * An event's request again, as a command to paste into a shell: curl, or `ghl-gateway send`. The
 * body is written by outsiders, so every word goes through the one quoting rule, `shellQuote`.
 */

/** A POSIX shell single-quoted word: nothing inside is interpreted (`'` becomes `'\''`). */
export const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`

/** Where the event was posted: its source's URL, plus the event name a per-event GHL URL carried. */
export function webhookUrlOf(event: EventDetailJson): string {
  const base = `${window.location.origin}${API_BASE.slice(0, -4)}webhooks/${encodeURIComponent(event.source)}`
  return event.eventHint ? `${base}/${encodeURIComponent(event.eventHint)}` : base
}

/** The request again, as curl: the same bytes to the same source (signature headers are not kept). */
export function curlOf(event: EventDetailJson, raw: string): string {
  return [
    `curl -X POST ${shellQuote(webhookUrlOf(event))}`,
    `  -H ${shellQuote(`content-type: ${event.contentType}`)}`,
    `  --data-binary ${shellQuote(raw)}`,
  ].join(' \\\n')
}

/**
 * The same bytes again with `ghl-gateway send --data` (signed with the local key, as `send` signs),
 * or null when the body is not JSON (`send --data` takes JSON only). The bytes go to a file first:
 * `--data` sends a file byte for byte.
 */
export function sendCommandOf(event: EventDetailJson, raw: string): string | null {
  if (event.bodyFormat === 'form' || event.body === null || typeof event.body === 'string') return null
  const file = shellQuote(`${event.id}.json`)
  return [
    `printf '%s' ${shellQuote(raw)} > ${file}`,
    `ghl-gateway send --data ${file} --to ${shellQuote(webhookUrlOf(event))}`,
  ].join(' &&\n')
}
