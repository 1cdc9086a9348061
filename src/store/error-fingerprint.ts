/**
 * The fingerprint of a dead delivery's last error: the message with what varies between
 * occurrences of one failure replaced — ids, UUIDs, hex, numbers, quoted values — so "timeout after
 * 5003 ms" and "timeout after 5010 ms" are one group in the dead-letter queue. Computed when a
 * delivery dies (never per attempt) and stored beside it, so a bulk job can filter by it.
 */

/** Fingerprints are compared whole; a longer message is cut (its start names the failure). */
export const FINGERPRINT_MAX = 200

const REPLACEMENTS: readonly [RegExp, string][] = [
  // Our own prefixed ids and ULIDs (evt_01J…), before numbers take their digits apart.
  [/\b[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}\b/gi, '<id>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  // GHL ids are 20–24 mixed-case alphanumerics with at least one digit.
  [/\b(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{16,}\b/g, '<id>'],
  [/\b0x[0-9a-f]+\b/gi, '#'],
  [/"[^"\n]{0,200}"/g, '"…"'],
  [/'[^'\n]{0,200}'/g, "'…'"],
  [/\s+/g, ' '],
]

/**
 * Numbers become `#`, except an HTTP status after a word that introduces one ("HTTP 500", "status
 * 404", "answered 422"): a 500 and a 404 are different failures.
 */
const NUMBER = /(\b(?:HTTP|status|code|answered|returned|responded)\s+(?=[1-5]\d\d\b))?\d+(?:\.\d+)?/gi

export function errorFingerprint(message: string): string {
  let text = message.slice(0, 4 * FINGERPRINT_MAX)
  for (const [pattern, replacement] of REPLACEMENTS) text = text.replace(pattern, replacement)
  text = text.replace(NUMBER, (number, status: string | undefined) => (status ? number : '#'))
  return text.trim().slice(0, FINGERPRINT_MAX)
}
