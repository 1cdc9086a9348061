import { isUtf8 } from 'node:buffer'
import { type ParseError, parse as parseTolerant, printParseErrorCode } from 'jsonc-parser'
import { GatewayError } from '../errors.js'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js'

/**
 * Body parsing runs only after the signature passed, on the bytes that were verified. It never
 * changes what is stored: the raw bytes are kept as received; the parsed value is for routing.
 */

/** RFC 8259 lets a parser ignore a UTF-8 byte-order mark; JSON.parse does not, so we strip it. */
function withoutBom(raw: Buffer): Buffer {
  return raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? raw.subarray(3) : raw
}

/**
 * Parses a JSON body, or throws `invalid_json` saying where it broke (line, column, offset), or
 * `payload_too_deep` when objects and arrays nest deeper than `MAX_JSON_DEPTH`: such a body would
 * be stored and acked, then break every recursive reader (see json-depth.ts). The depth is checked
 * on the parsed value (JSON.parse is iterative, so parsing any depth is safe): ~0.3 µs for a GHL
 * ContactCreate, against ~6 µs for one pass over its bytes (bench/json-depth.ts), and it keeps the
 * rule "nothing reads the body before its signature passed".
 */
export function parseJsonBody(raw: Buffer): unknown {
  if (!isUtf8(raw)) {
    throw new GatewayError('invalid_json', 'the body is not valid UTF-8; send JSON encoded as UTF-8')
  }
  const text = withoutBom(raw).toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Checked only here: trim() copies the whole body, and an empty body never parses.
    if (text.trim() === '') throw new GatewayError('invalid_json', 'the body is empty; send a JSON object')
    throw jsonError(text)
  }
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) {
    throw new GatewayError(
      'payload_too_deep',
      `the body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; send a shallower body`,
      { details: { maxDepth: MAX_JSON_DEPTH } },
    )
  }
  return value
}

/** The first syntax error in `text`, located. Only runs on the error path. */
function jsonError(text: string): GatewayError {
  const errors: ParseError[] = []
  try {
    parseTolerant(text, errors, {
      disallowComments: true,
      allowTrailingComma: false,
      allowEmptyContent: false,
    })
  } catch {
    // The locator recurses: a body nested tens of thousands of levels deep overflows the stack.
    // JSON.parse already said it is invalid; the position is a nicety, not worth a 500.
    return new GatewayError(
      'invalid_json',
      'the body is not valid JSON (nested too deeply to locate the error)',
    )
  }
  const first = errors[0]
  // jsonc-parser accepts a few things JSON.parse rejects (e.g. lone surrogates are fine for both;
  // control characters in strings are not): fall back to a position-less message then.
  if (!first) return new GatewayError('invalid_json', 'the body is not valid JSON')
  const before = text.slice(0, first.offset)
  const line = before.split('\n').length
  const column = first.offset - before.lastIndexOf('\n')
  const what = printParseErrorCode(first.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
  return new GatewayError(
    'invalid_json',
    `the body is not valid JSON: ${what} at line ${line}, column ${column}`,
    {
      details: { line, column, offset: first.offset },
    },
  )
}

/** Parses `application/x-www-form-urlencoded`; a repeated key becomes an array of its values. */
export function parseFormBody(raw: Buffer): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null)
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
    const existing = out[key]
    if (existing === undefined) out[key] = value
    else if (Array.isArray(existing)) existing.push(value)
    else out[key] = [existing, value]
  }
  return out
}

/**
 * A stored body as a value, for handlers, destinations and the admin API: a form as an object,
 * JSON parsed (byte-order mark or not), the text when it is not JSON, null when it is not UTF-8
 * (rows from other writers; ingest stores neither). Never throws. The depth is not checked: it was
 * at ingest, and readers that recurse check it themselves (json-depth.ts).
 */
export function parseStoredBody(stored: { rawBody: Buffer; bodyFormat: string | null }): unknown {
  if (stored.bodyFormat === 'form') return parseFormBody(stored.rawBody)
  const bytes = withoutBom(stored.rawBody)
  if (!isUtf8(bytes)) return null
  const text = bytes.toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
