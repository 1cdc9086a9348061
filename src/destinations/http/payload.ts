import type { TypeMapper } from '../../catalog/index.js'
import { envelopeOf } from '../../deliver/envelope.js'
import { stringifyJson } from '../../json-depth.js'
import type { StoredEvent } from '../../store/types.js'
import { isHeaderValue } from '../headers.js'
import type { DestinationDefinition } from '../schema.js'
import { renderTemplate, templateScope } from './template.js'

/** What goes on the wire for one event: the body bytes (signed as they are) and their type. */
export interface BuiltPayload {
  /** Empty for GET. */
  body: Buffer
  contentType: string | undefined
  /** GET: the payload as query parameters, appended to the URL. */
  query: string | undefined
}

const JSON_TYPE = 'application/json'
const FORM_TYPE = 'application/x-www-form-urlencoded'

/**
 * - `envelope`: the canonical envelope as JSON (or form fields).
 * - `raw`: the bytes the sender sent, with their original Content-Type.
 * - `template`: the rendered template (see template.ts).
 *
 * Form encoding writes each top-level field as one parameter: text and numbers as they are, null
 * as empty, objects and arrays as JSON text; a payload that is not an object is one `payload`
 * parameter. GET sends the same parameters as the query string and no body.
 *
 * JSON is written with `stringifyJson`: a body stored before ingest refused deep nesting (or any
 * body at all) is delivered as it is, never turned into an attempt that fails on our side and is
 * retried for a day. Whether the receiver can read it is the receiver's answer, as for any body.
 */
export function buildPayload(
  definition: Pick<DestinationDefinition, 'payload' | 'template' | 'contentType' | 'method'>,
  event: StoredEvent,
  types: TypeMapper,
): BuiltPayload {
  if (definition.payload === 'raw') {
    return {
      body: event.rawBody,
      // As the sender sent it (Node's parser let it in, so it is a valid header value; older
      // rows or other writers are not trusted to be).
      contentType:
        event.contentType && isHeaderValue(event.contentType)
          ? event.contentType
          : 'application/octet-stream',
      query: undefined,
    }
  }
  const envelope = envelopeOf(event, types) as unknown as Record<string, unknown>
  const value =
    definition.payload === 'template'
      ? renderTemplate(definition.template, templateScope(envelope))
      : envelope
  if (definition.method === 'GET')
    return { body: Buffer.alloc(0), contentType: undefined, query: formEncode(value) }
  if (definition.contentType === 'form') {
    return { body: Buffer.from(formEncode(value), 'utf8'), contentType: FORM_TYPE, query: undefined }
  }
  return {
    body: Buffer.from(stringifyJson(value) ?? 'null', 'utf8'),
    contentType: JSON_TYPE,
    query: undefined,
  }
}

export function formEncode(value: unknown): string {
  const params = new URLSearchParams()
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    params.append('payload', stringifyJson(value) ?? 'null')
    return params.toString()
  }
  for (const [key, field] of Object.entries(value)) {
    if (field === null || field === undefined) params.append(key, '')
    else if (typeof field === 'object') params.append(key, stringifyJson(field) ?? 'null')
    else params.append(key, String(field))
  }
  return params.toString()
}
