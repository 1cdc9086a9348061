import { readPath } from '../catalog/index.js'

/**
 * Secrets in destination documents: the admin API shows them as `***` — except `${NAME}`
 * references, which are not secrets — and a PUT that sends `***` back keeps the stored value,
 * so a document can round-trip through GET → edit → PUT without retyping its secrets.
 *
 * Secret: auth credentials, signing secrets, every custom header value (unless the destination
 * lists the header in `publicHeaders`), and the value of every query parameter of `url` and
 * `auth.tokenUrl` (`…/hook?key=***&v=***`: the keys stay visible, so people can see what is
 * configured; a `***` value in a PUT keeps the stored value of the same parameter).
 */
export const REDACTED = '***'
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/
const URL_PATHS = [['url'], ['auth', 'tokenUrl']] as const

type Doc = Record<string, unknown>

/** A deep copy of `doc` with every secret replaced by `***` (env references are kept). */
export function redactSecrets(doc: Doc): Doc {
  const copy = structuredClone(doc)
  for (const path of secretPaths(copy)) {
    const value = readPath(copy, path)
    if (typeof value === 'string' && ENV_REFERENCE.test(value)) continue
    setAt(copy, path, REDACTED)
  }
  for (const path of URL_PATHS) {
    const url = readPath(copy, path)
    if (typeof url === 'string') setAt(copy, path, redactQuery(url))
  }
  return copy
}

/**
 * `***` in `incoming` takes the value at the same place in `previous`. Returns the paths that
 * held `***` with nothing to keep (the caller refuses the document).
 */
export function restoreSecrets(incoming: Doc, previous: Doc | undefined): { doc: Doc; missing: string[] } {
  const doc = structuredClone(incoming)
  const missing: string[] = []
  for (const path of secretPaths(doc)) {
    if (readPath(doc, path) !== REDACTED) continue
    const kept = previous === undefined ? undefined : readPath(previous, path)
    if (typeof kept === 'string' && kept !== REDACTED) setAt(doc, path, kept)
    else missing.push(path.join('.'))
  }
  for (const path of URL_PATHS) {
    const url = readPath(doc, path)
    if (typeof url !== 'string') continue
    const kept = previous === undefined ? undefined : readPath(previous, path)
    const restored = restoreQuery(url, typeof kept === 'string' ? kept : undefined)
    if (restored === undefined) missing.push(path.join('.'))
    else setAt(doc, path, restored)
  }
  return { doc, missing }
}

/** Query parameters as written: `[key, value]`, value undefined for a bare `?flag`. */
type Query = [string, string | undefined][]

function splitUrl(url: string): { base: string; query: Query } | undefined {
  const mark = url.indexOf('?')
  if (mark < 0) return undefined
  const query: Query = url
    .slice(mark + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=')
      return eq < 0 ? [part, undefined] : [part.slice(0, eq), part.slice(eq + 1)]
    })
  return { base: url.slice(0, mark), query }
}

function joinUrl(base: string, query: Query): string {
  return `${base}?${query.map(([key, value]) => (value === undefined ? key : `${key}=${value}`)).join('&')}`
}

/** `…?key=SECRET&v=2` → `…?key=***&v=***`; empty values and `${NAME}` references stay. */
function redactQuery(url: string): string {
  const split = splitUrl(url)
  if (!split) return url
  const redact = (value: string | undefined) =>
    value === undefined || value === '' || ENV_REFERENCE.test(value) ? value : REDACTED
  return joinUrl(
    split.base,
    split.query.map(([key, value]) => [key, redact(value)]),
  )
}

/**
 * Each `***` query value takes the stored value of the same parameter (the same key, the same
 * occurrence of it). undefined when one has nothing to take.
 */
function restoreQuery(url: string, previous: string | undefined): string | undefined {
  const split = splitUrl(url)
  if (!split?.query.some(([, value]) => value === REDACTED)) return url
  const stored = (previous === undefined ? undefined : splitUrl(previous)?.query) ?? []
  const seen = new Map<string, number>()
  const query: Query = []
  for (const [key, value] of split.query) {
    const occurrence = seen.get(key) ?? 0
    seen.set(key, occurrence + 1)
    if (value !== REDACTED) {
      query.push([key, value])
      continue
    }
    const kept = stored.filter(([storedKey]) => storedKey === key)[occurrence]?.[1]
    if (kept === undefined || kept === REDACTED) return undefined
    query.push([key, kept])
  }
  return joinUrl(split.base, query)
}

function setAt(doc: unknown, path: readonly string[], value: unknown): void {
  let node = doc as Record<string, unknown>
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>
  node[path.at(-1)!] = value
}

/** JSON with sorted keys: equal documents give equal text (PostgreSQL's jsonb reorders keys). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** Paths of the fields that hold secrets; the API shows them as `***`. */
export function secretPaths(definition: {
  auth?: unknown
  signing?: unknown
  headers?: unknown
  publicHeaders?: unknown
}): string[][] {
  const paths: string[][] = []
  const auth = definition.auth as Record<string, unknown> | undefined
  if (auth && typeof auth === 'object') {
    for (const key of ['token', 'value', 'password', 'clientSecret'])
      if (key in auth) paths.push(['auth', key])
  }
  const signing = definition.signing as { secrets?: unknown } | undefined
  if (signing && Array.isArray(signing.secrets))
    for (let i = 0; i < signing.secrets.length; i++) paths.push(['signing', 'secrets', String(i)])
  const headers = definition.headers as Record<string, unknown> | undefined
  if (headers && typeof headers === 'object') {
    const shown = Array.isArray(definition.publicHeaders)
      ? new Set(definition.publicHeaders.map((name) => String(name).toLowerCase()))
      : new Set<string>()
    for (const name of Object.keys(headers)) if (!shown.has(name.toLowerCase())) paths.push(['headers', name])
  }
  return paths
}
