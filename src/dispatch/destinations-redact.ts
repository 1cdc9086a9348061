/**
 * Secrets in destination documents: the admin API shows them as `***` — except `${NAME}`
 * references, which are not secrets — and a PUT that sends `***` back keeps the stored value,
 * so a document can round-trip through GET → edit → PUT without retyping its secrets.
 */
export const REDACTED = '***'
const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/

type Doc = Record<string, unknown>

/** A deep copy of `doc` with every secret replaced by `***` (env references are kept). */
export function redactSecrets(doc: Doc): Doc {
  const copy = structuredClone(doc)
  for (const path of secretPaths(copy)) {
    const value = getAt(copy, path)
    if (typeof value === 'string' && ENV_REFERENCE.test(value)) continue
    setAt(copy, path, REDACTED)
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
    if (getAt(doc, path) !== REDACTED) continue
    const kept = previous === undefined ? undefined : getAt(previous, path)
    if (typeof kept === 'string' && kept !== REDACTED) setAt(doc, path, kept)
    else missing.push(path.join('.'))
  }
  return { doc, missing }
}

function getAt(doc: unknown, path: readonly (string | number)[]): unknown {
  let node = doc
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string | number, unknown>)[key]
  }
  return node
}

function setAt(doc: unknown, path: readonly (string | number)[], value: unknown): void {
  let node = doc as Record<string | number, unknown>
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
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
}): (string | number)[][] {
  const paths: (string | number)[][] = []
  const auth = definition.auth as Record<string, unknown> | undefined
  if (auth && typeof auth === 'object') {
    for (const key of ['token', 'value', 'password', 'clientSecret'])
      if (key in auth) paths.push(['auth', key])
  }
  const signing = definition.signing as { secrets?: unknown } | undefined
  if (signing && Array.isArray(signing.secrets))
    for (let i = 0; i < signing.secrets.length; i++) paths.push(['signing', 'secrets', i])
  const headers = definition.headers as Record<string, unknown> | undefined
  if (headers && typeof headers === 'object') {
    for (const name of Object.keys(headers)) if (isSensitiveHeader(name)) paths.push(['headers', name])
  }
  return paths
}

/** Header names whose values are credentials more often than not. */
export function isSensitiveHeader(name: string): boolean {
  return /authorization|cookie|token|secret|key|password|signature|credential|session/i.test(name)
}
