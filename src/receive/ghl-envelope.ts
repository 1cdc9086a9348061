/**
 * The few GHL envelope fields the event row needs, read on the request path: they must cost next
 * to nothing (a handful of property reads). Full classification — event name, entity, schema —
 * happens after the commit, in the catalog.
 */
export interface EnvelopeFields {
  webhookId: string | null
  ghlType: string | null
  locationId: string | null
  companyId: string | null
  /** The body's own `timestamp`, normalised to ISO text. */
  sentAt: string | null
  flags: string[]
}

/** Ids we are willing to index: 1–255 printable ASCII characters, no spaces. */
const ID = /^[\x21-\x7e]{1,255}$/

type Obj = Record<string, unknown>

const isObject = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The object that carries the envelope: the body itself, the first element of an array body
 * (SaaSPlanCreate is documented as an array), with fields of a `data` wrapper (the integration
 * guide's test format) filling in what the top level lacks.
 */
export function envelopeObject(body: unknown): { top: Obj; inner: Obj | undefined } | undefined {
  const first = Array.isArray(body) ? body[0] : body
  if (!isObject(first)) return undefined
  return { top: first, inner: isObject(first.data) ? first.data : undefined }
}

export function ghlEnvelopeFields(body: unknown): EnvelopeFields {
  const fields: EnvelopeFields = {
    webhookId: null,
    ghlType: null,
    locationId: null,
    companyId: null,
    sentAt: null,
    flags: [],
  }
  const envelope = envelopeObject(body)
  if (!envelope) return fields
  const { top, inner } = envelope
  const read = (key: string): unknown => (top[key] !== undefined ? top[key] : inner?.[key])
  const id = (key: string, flag: string): string | null => {
    const value = read(key)
    if (value === undefined || value === null || value === '') return null
    if (typeof value === 'string' && ID.test(value)) return value
    fields.flags.push(flag)
    return null
  }

  fields.webhookId = id('webhookId', 'invalid_webhook_id')
  fields.ghlType = id('type', 'invalid_type')
  // Tenant: locationId, else altId when altType is "location" (Invoice*, Order*), else companyId.
  fields.locationId = id('locationId', 'invalid_location_id')
  if (fields.locationId === null && read('altType') === 'location') {
    fields.locationId = id('altId', 'invalid_location_id')
  }
  fields.companyId = id('companyId', 'invalid_company_id')
  fields.sentAt = timestampText(read('timestamp'))
  return fields
}

/** ISO text for an ISO string or epoch number (seconds or milliseconds); null when unreadable. */
export function timestampText(value: unknown): string | null {
  let ms: number
  if (typeof value === 'string') ms = Date.parse(value)
  else if (typeof value === 'number') ms = value < 1e12 ? value * 1000 : value
  else return null
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : null
}
