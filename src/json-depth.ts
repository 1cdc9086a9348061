/**
 * How deeply objects and arrays may nest in a JSON body, and how readers survive bodies that nest
 * deeper. `JSON.parse` is iterative in V8 and parses any depth; `JSON.stringify` (and every other
 * recursive reader) overflows the stack somewhere between 4,000 and 8,000 levels on Node's main
 * thread, sooner on a thread with a smaller stack. A body signed and stored at such a depth could
 * then be neither shown nor delivered, so ingest refuses bodies deeper than `MAX_JSON_DEPTH`
 * (`payload_too_deep`), and readers of stored bodies — which may predate the limit — use
 * `stringifyJson` or degrade.
 */

/**
 * 64 levels: GHL's deepest documented body (ProductCreate) nests 5; the richest webhook payloads
 * elsewhere (rich-text documents such as Jira ADF or Slack blocks inside an event) stay within a
 * few dozen. It is also the default limit of .NET's System.Text.Json and below Ruby's (100) and
 * serde_json's (128), so receivers of a delivered body can read it, and any recursive reader here
 * has thousands of frames of headroom.
 */
export const MAX_JSON_DEPTH = 64

/**
 * True when `value` nests objects and arrays more than `limit` levels deep (`{}` is 1, `[{}]` is 2,
 * a scalar 0). It descends no further than `limit + 1` levels, so it cannot overflow the stack
 * itself, and visits each container once: 0.3–0.5 µs for a GHL ContactCreate body, 0.4–1.8 ms for
 * a 1 MiB array of them — 5–8 % of what `JSON.parse` spends on the same body (bench/json-depth.ts).
 */
export function nestsDeeperThan(value: unknown, limit: number = MAX_JSON_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false
  return limit < 1 || deeper(value, limit - 1)
}

/** `node` is a container; `left` is how many more levels may open below it. */
function deeper(node: object, left: number): boolean {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i]
      if (typeof item === 'object' && item !== null && (left === 0 || deeper(item, left - 1))) return true
    }
    return false
  }
  for (const key in node) {
    const item: unknown = (node as Record<string, unknown>)[key]
    if (typeof item === 'object' && item !== null && (left === 0 || deeper(item, left - 1))) return true
  }
  return false
}

/**
 * `JSON.stringify(value)` for a JSON value of any depth: the same text, but a value nesting deeper
 * than `MAX_JSON_DEPTH` is written by a loop over an explicit stack instead of by recursion, so a
 * stored body of any depth can still be delivered. `undefined` only for a top-level `undefined`.
 */
export function stringifyJson(value: unknown): string | undefined {
  return nestsDeeperThan(value) ? stringifyIteratively(value) : JSON.stringify(value)
}

interface Frame {
  node: object
  keys: string[] | null
  next: number
  written: number
}

/** JSON.stringify's rules for plain data: `toJSON`, skipped keys, `null` in arrays, cycles refused. */
function stringifyIteratively(root: unknown): string | undefined {
  const top = toJsonValue(root, '')
  if (!isContainer(top)) return JSON.stringify(top)
  const parts: string[] = []
  const stack: Frame[] = []
  const open = new Set<object>()
  const enter = (node: object) => {
    if (open.has(node)) throw new TypeError('Converting circular structure to JSON')
    open.add(node)
    const keys = Array.isArray(node) ? null : Object.keys(node)
    parts.push(keys === null ? '[' : '{')
    stack.push({ node, keys, next: 0, written: 0 })
  }
  enter(top)
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!
    const { node, keys } = frame
    const length = keys === null ? (node as unknown[]).length : keys.length
    if (frame.next === length) {
      parts.push(keys === null ? ']' : '}')
      open.delete(node)
      stack.pop()
      continue
    }
    const index = frame.next++
    const key = keys === null ? String(index) : keys[index]!
    const value = toJsonValue((node as Record<string, unknown>)[key], key)
    const absent = value === undefined || typeof value === 'function' || typeof value === 'symbol'
    if (keys !== null && absent) continue
    if (frame.written++ > 0) parts.push(',')
    if (keys !== null) parts.push(JSON.stringify(key), ':')
    if (isContainer(value)) enter(value)
    else parts.push(absent ? 'null' : JSON.stringify(value))
  }
  return parts.join('')
}

function toJsonValue(value: unknown, key: string): unknown {
  if (typeof value === 'object' && value !== null) {
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') return toJSON.call(value, key)
  }
  return value
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}
