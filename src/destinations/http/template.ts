import { readPath } from '../../catalog/index.js'
import { stringifyJson } from '../../json-depth.js'

/**
 * `payload: template` — a JSON value whose strings may hold `{{path}}` placeholders, rendered per
 * event over the envelope (`{{type}}`, `{{tenant.locationId}}`, `{{entity.id}}`, `{{data.email}}`),
 * like HighLevel's Custom Webhook action. For convenience the body is also reachable under the
 * event's entity kind: for a contact event `{{contact.email}}` is `{{data.email}}`.
 *
 * - A string that is exactly one placeholder becomes the value itself, keeping its JSON type
 *   (`"{{data.tags}}"` → an array, `"{{data.monetaryValue}}"` → a number).
 * - Inside a longer string, values are written as text (objects and arrays as JSON); a missing
 *   value writes nothing.
 * - A missing value on its own renders as null. Rendering never throws.
 * - Keys are not templated; only values are.
 */
const WHOLE = /^\{\{\s*([^{}\s]+)\s*\}\}$/
const EMBEDDED = /\{\{\s*([^{}\s]+)\s*\}\}/g

export function renderTemplate(template: unknown, scope: Readonly<Record<string, unknown>>): unknown {
  if (typeof template === 'string') return renderString(template, scope)
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, scope))
  if (template !== null && typeof template === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(template)) out[key] = renderTemplate(value, scope)
    return out
  }
  return template
}

function renderString(text: string, scope: Readonly<Record<string, unknown>>): unknown {
  if (!text.includes('{{')) return text
  const whole = WHOLE.exec(text)
  if (whole) return lookup(scope, whole[1]!) ?? null
  return text.replace(EMBEDDED, (_, path: string) => {
    const value = lookup(scope, path)
    if (value === undefined || value === null) return ''
    if (typeof value === 'object') return stringifyJson(value) ?? ''
    return String(value)
  })
}

/** `a.b.0.c` and `a.b[0].c` both work. */
function lookup(scope: Readonly<Record<string, unknown>>, path: string): unknown {
  const segments = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)
  if (segments.length === 0) return undefined
  const value = readPath(scope, segments)
  return value
}

/** The scope placeholders read from: the envelope, plus the body under the entity kind. */
export function templateScope(envelope: Record<string, unknown>): Record<string, unknown> {
  const kind = (envelope.entity as { kind?: unknown } | undefined)?.kind
  if (typeof kind === 'string' && kind !== 'unknown' && !Object.hasOwn(envelope, kind)) {
    return { ...envelope, [kind]: envelope.data }
  }
  return envelope
}
