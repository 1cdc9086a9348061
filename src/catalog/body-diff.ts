/**
 * What changed between two bodies of one entity (the entity timeline): field by field, as paths
 * (`customFields[id="f1"].value`, `tags[]`, `address["zip code"]`) with the old and new value as
 * JSON text. Pure and bounded: bodies are written by outsiders and may be a megabyte, so the walk
 * stops after `maxNodes` values and the answer after `maxChanges` changes (`truncated` says so),
 * and each value is shown as at most `maxValueChars` characters, rendered without serialising a
 * large subtree whole.
 *
 * Our own ~100 lines rather than a library (microdiff, deep-diff, jsondiffpatch): none matches
 * arrays of objects by their `id` (GHL's `customFields`), none stops after a budget, and their
 * paths are arrays we would format anyway.
 */

export type ChangeKind = 'added' | 'removed' | 'changed'

export interface FieldChange {
  path: string
  change: ChangeKind
  /** The old value as JSON text (absent when added); cut to `maxValueChars`, ending in `…`. */
  before?: string
  /** The new value as JSON text (absent when removed). */
  after?: string
}

export interface BodyDiff {
  /** Changes of fields that mean something, in document order. */
  changes: FieldChange[]
  /** Changes of fields that change on every webhook (VOLATILE_FIELDS): shown apart, collapsed. */
  volatile: FieldChange[]
  /** True when a limit stopped the walk or the list: there may be more changes than listed. */
  truncated: boolean
}

export interface DiffLimits {
  /** @default 200 — changes listed (volatile ones included). */
  maxChanges: number
  /** @default 20000 — values visited; a 1 MB body has ~50,000. */
  maxNodes: number
  /** @default 200 */
  maxValueChars: number
}

export const DEFAULT_DIFF_LIMITS: DiffLimits = { maxChanges: 200, maxNodes: 20_000, maxValueChars: 200 }

/**
 * Fields that differ between any two webhooks, whatever happened to the entity: the delivery's
 * own id and send time (GHL's envelope), and the modification time. A change of a field with one
 * of these names, at any depth, is listed in `volatile`.
 */
export const VOLATILE_FIELDS: ReadonlySet<string> = new Set(['webhookId', 'timestamp', 'dateUpdated'])

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const keyPath = (path: string, key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`

/** Every element an object with a string or number `id`, all distinct: matched by id. */
function idsOf(items: Json[]): Map<string, Json> | undefined {
  const byId = new Map<string, Json>()
  for (const item of items) {
    if (!isObject(item) || (typeof item.id !== 'string' && typeof item.id !== 'number')) return undefined
    const id = JSON.stringify(item.id)
    if (byId.has(id)) return undefined
    byId.set(id, item)
  }
  return byId
}

export function diffBodies(before: unknown, after: unknown, limits: Partial<DiffLimits> = {}): BodyDiff {
  const { maxChanges, maxNodes, maxValueChars } = { ...DEFAULT_DIFF_LIMITS, ...limits }
  const out: BodyDiff = { changes: [], volatile: [], truncated: false }
  let nodes = 0
  const full = () => out.changes.length + out.volatile.length >= maxChanges

  const record = (path: string, change: ChangeKind, old: unknown, now: unknown, field: string) => {
    if (full()) {
      out.truncated = true
      return
    }
    const entry: FieldChange = { path: path || '(body)', change }
    if (change !== 'added') entry.before = preview(old, maxValueChars)
    if (change !== 'removed') entry.after = preview(now, maxValueChars)
    ;(VOLATILE_FIELDS.has(field) ? out.volatile : out.changes).push(entry)
  }

  const walk = (path: string, field: string, a: Json, b: Json): void => {
    if (++nodes > maxNodes || full()) {
      out.truncated = true
      return
    }
    if (isObject(a) && isObject(b)) {
      for (const key of Object.keys(a)) {
        if (out.truncated) return
        if (!Object.hasOwn(b, key)) record(keyPath(path, key), 'removed', a[key], undefined, key)
        else walk(keyPath(path, key), key, a[key]!, b[key]!)
      }
      for (const key of Object.keys(b))
        if (!Object.hasOwn(a, key)) record(keyPath(path, key), 'added', undefined, b[key], key)
      return
    }
    if (Array.isArray(a) && Array.isArray(b)) walkArrays(path, field, a, b)
    else if (a !== b && JSON.stringify(a) !== JSON.stringify(b)) record(path, 'changed', a, b, field)
  }

  const walkArrays = (path: string, field: string, a: Json[], b: Json[]): void => {
    const aIds = idsOf(a)
    const bIds = aIds && idsOf(b)
    if (aIds && bIds) {
      for (const [id, item] of aIds) {
        const at = `${path}[id=${id}]`
        if (bIds.has(id)) walk(at, field, item, bIds.get(id)!)
        else record(at, 'removed', item, undefined, field)
      }
      for (const [id, item] of bIds)
        if (!aIds.has(id)) record(`${path}[id=${id}]`, 'added', undefined, item, field)
      return
    }
    const primitive = (item: Json) => item === null || typeof item !== 'object'
    if (a.every(primitive) && b.every(primitive)) {
      // A list of values (GHL's `tags`): what left and what joined, not which index moved.
      const left = new Set(b.map((item) => JSON.stringify(item)))
      const had = new Set(a.map((item) => JSON.stringify(item)))
      for (const item of a)
        if (!left.has(JSON.stringify(item))) record(`${path}[]`, 'removed', item, undefined, field)
      for (const item of b)
        if (!had.has(JSON.stringify(item))) record(`${path}[]`, 'added', undefined, item, field)
      nodes += a.length + b.length
      return
    }
    for (let i = 0; i < Math.max(a.length, b.length) && !out.truncated; i++) {
      if (i >= b.length) record(`${path}[${i}]`, 'removed', a[i], undefined, field)
      else if (i >= a.length) record(`${path}[${i}]`, 'added', undefined, b[i], field)
      else walk(`${path}[${i}]`, field, a[i]!, b[i]!)
    }
  }

  walk('', '', before as Json, after as Json)
  return out
}

/** JSON text of `value`, at most `max` characters (then `…`), without serialising it whole. */
export function preview(value: unknown, max: number): string {
  let text = ''
  const put = (part: string) => {
    text += part
    return text.length <= max
  }
  const write = (item: unknown): boolean => {
    if (Array.isArray(item)) {
      if (!put('[')) return false
      for (let i = 0; i < item.length; i++) if ((i > 0 && !put(',')) || !write(item[i])) return false
      return put(']')
    }
    if (isObject(item)) {
      if (!put('{')) return false
      let first = true
      for (const [key, inner] of Object.entries(item)) {
        if ((!first && !put(',')) || !put(`${JSON.stringify(key)}:`) || !write(inner)) return false
        first = false
      }
      return put('}')
    }
    return put(item === undefined ? 'null' : JSON.stringify(item).slice(0, max + 1))
  }
  return write(value) ? text : `${text.slice(0, max)}…`
}
