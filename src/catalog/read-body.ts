/**
 * Defensive reads from an untrusted JSON body. Only own properties count: a body must not be able to
 * make `constructor` or an inherited key look like a field.
 */

export type JsonObject = Record<string, unknown>

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function readOwn(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

/** A non-empty string at `key`, else undefined. */
export function readString(object: JsonObject, key: string): string | undefined {
  const value = readOwn(object, key)
  return typeof value === 'string' && value.length > 0 ? value : undefined
}

const ARRAY_INDEX = /^\d+$/

/**
 * The value at `path` (`['appointment', 'id']`, `['items', '0', 'id']`), or undefined when a step
 * is missing: objects by own keys, arrays by decimal index (never `length` or a method).
 */
export function readPath(value: unknown, path: readonly string[]): unknown {
  let node = value
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    if (Array.isArray(node)) {
      if (!ARRAY_INDEX.test(key)) return undefined
      node = node[Number(key)]
    } else {
      if (!Object.hasOwn(node, key)) return undefined
      node = (node as JsonObject)[key]
    }
  }
  return node
}

export function readPathString(value: unknown, path: readonly string[]): string | undefined {
  const found = readPath(value, path)
  return typeof found === 'string' && found.length > 0 ? found : undefined
}

const segmentsCache = new Map<string, readonly string[]>()

/** A dotted path (`appointment.id`) as `readPath` takes it; split once. For paths from code or config, not from bodies. */
export function pathSegments(path: string): readonly string[] {
  let segments = segmentsCache.get(path)
  if (!segments) {
    segments = path.split('.')
    segmentsCache.set(path, segments)
  }
  return segments
}

const ISO_DATE_PREFIX = /^\d{4}-\d{2}-\d{2}/
/** Below this a number is epoch seconds, above it milliseconds (1e11 s is the year 5138). */
const SECONDS_LIMIT = 1e11

/**
 * A time value as a normalised ISO-8601 UTC string, or null. Accepts ISO strings (with any UTC
 * offset, as Appointment* sends them) and epoch numbers in seconds (LCEmailStats) or milliseconds.
 * Strings must start like a date: `Date.parse` alone accepts "1" or "May".
 */
export function toIsoTime(value: unknown): string | null {
  let ms: number
  if (typeof value === 'string') {
    if (!ISO_DATE_PREFIX.test(value)) return null
    ms = Date.parse(value)
  } else if (typeof value === 'number' && value > 0) {
    ms = value < SECONDS_LIMIT ? value * 1000 : value
  } else {
    return null
  }
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** Copies own enumerable properties as data properties (`__proto__` included, without its setter). */
export function copyOwnInto(target: JsonObject, source: JsonObject, skip?: string): void {
  for (const key of Object.keys(source)) {
    if (key === skip) continue
    Object.defineProperty(target, key, {
      value: source[key],
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
}
