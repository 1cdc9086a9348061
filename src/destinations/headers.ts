import { z } from 'zod'

/**
 * What a destination's request headers may hold. Every value that reaches the HTTP client is
 * valid there by construction, so no header can fail a delivery or inject another header:
 *
 * - configured values (`headers`, `auth.token`, an apiKey's `value`) are checked when the config
 *   file is loaded or the API document is created (`headerValue`);
 * - names a destination sets (`headers`, an apiKey's `header`) may not be ones the gateway sets
 *   itself (`reservedHeaderProblem`);
 * - sender data (the event's type in `x-gateway-event-type`) goes through `headerText`;
 * - an OAuth access token from the token endpoint is checked with `isHeaderValue` when it arrives.
 */

/** An HTTP header name (RFC 9110 token), lower-cased. */
export const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name')
  .transform((h) => h.toLowerCase())

/** RFC 9110 field-value characters: HTAB, SP, visible ASCII, obs-text. What undici sends. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

export function isHeaderValue(text: string): boolean {
  return FIELD_VALUE.test(text)
}

export const HEADER_VALUE_RULE =
  'header values are one line of text: no CR, LF, NUL or other control characters, nothing beyond Latin-1 (percent-encode other text)'

export const headerValue = z.string().max(8192).refine(isHeaderValue, HEADER_VALUE_RULE)

/** Headers the gateway sets itself; a destination cannot override them. */
export const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'traceparent',
  'tracestate',
])
export const GATEWAY_HEADER_PREFIX = 'x-gateway-'

/** Why a destination may not set header `name`, or undefined when it may. */
export function reservedHeaderProblem(name: string): string | undefined {
  const lower = name.toLowerCase()
  if (RESERVED_HEADERS.has(lower) || lower.startsWith(GATEWAY_HEADER_PREFIX))
    return `the gateway sets ${name} itself; it cannot be configured`
  return undefined
}

/** Visible ASCII except `%`: sender text made only of these goes out unchanged. */
const PLAIN_TEXT = /^[\x21-\x24\x26-\x7e]*$/
const ENCODED = /[^\x20-\x24\x26-\x7e]|^ | $/gu
/** U+FFFD, for a lone UTF-16 surrogate (which has no UTF-8 form). */
const REPLACEMENT = '%EF%BF%BD'

/**
 * Sender data as a header value that is always valid: percent-encoded UTF-8 wherever it is not
 * printable ASCII — and for `%` itself and spaces at either end (a receiver would trim them) — so
 * `decodeURIComponent(value)` gives back the text exactly. `contact.created` is sent as it is;
 * `契約.作成` as `%E5%A5%91%E7%B4%84.%E4%BD%9C%E6%88%90`. A lone UTF-16 surrogate becomes U+FFFD.
 */
export function headerText(text: string): string {
  if (PLAIN_TEXT.test(text)) return text
  return text.replace(ENCODED, (char) => {
    try {
      return encodeURIComponent(char)
    } catch {
      return REPLACEMENT
    }
  })
}
