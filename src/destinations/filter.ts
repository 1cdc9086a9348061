import { readPath } from '../catalog/index.js'
import type { MatchableEvent } from '../dispatch/subscribers.js'
import type { DestinationFilter, FilterPredicate } from './filter-schema.js'

/**
 * A destination's `filter`, compiled once into a predicate that runs at ingest (on the request
 * path, for every event of a matching type): an event that fails it gets no delivery at all.
 *
 * Every key must hold (AND). A key names what to test:
 * - `locationId`, `companyId` (or `tenant.locationId`, `tenant.companyId`): the event's tenant;
 * - `data.<path>`: a field of the body as the sender sent it (`data.tags`, `data.contact.email`,
 *   `data.items.0.id`);
 * - an envelope field: `type`, `name`, `ghlType`, `source`, `webhookId`, `entity.kind`, …
 *
 * and the value how: a scalar equals (strictly: `"5"` is not `5`), an array is "one of", an object
 * holds operators that must all hold — `equals`, `in`, `contains` (an array holding the value or a
 * string containing it), `exists` (present and not null), `gt`/`gte`/`lt`/`lte` (numbers, or text
 * that is a number). A test on a missing field fails, except `exists: false`.
 */
export function compileFilter(
  filter: DestinationFilter | undefined,
): ((event: MatchableEvent) => boolean) | undefined {
  if (filter === undefined) return undefined
  const tests = Object.entries(filter).map(([key, predicate]) => {
    const read = reader(key)
    const test = predicateTest(predicate)
    return (event: MatchableEvent) => test(read(event))
  })
  if (tests.length === 0) return undefined
  return (event) => tests.every((test) => test(event))
}

type Read = (event: MatchableEvent) => unknown

function reader(key: string): Read {
  switch (key) {
    case 'locationId':
    case 'tenant.locationId':
      return (e) => e.event.locationId ?? undefined
    case 'companyId':
    case 'tenant.companyId':
      return (e) => e.event.companyId ?? undefined
    case 'id':
      return (e) => e.event.id
    case 'source':
      return (e) => e.source
    case 'type':
      return (e) => e.type ?? undefined
    case 'ghlType':
      return (e) => e.event.ghlType ?? undefined
    case 'name':
      return (e) => e.event.eventName ?? 'unknown'
    case 'webhookId':
      return (e) => e.event.webhookId ?? undefined
    case 'occurredAt':
      return (e) => e.event.occurredAt ?? undefined
    case 'receivedAt':
      return (e) => new Date(e.event.receivedAt).toISOString()
    case 'entity.kind':
      return (e) => e.event.entityKind ?? 'unknown'
    case 'entity.id':
      return (e) => e.event.entityId ?? undefined
  }
  const path = key.split('.').slice(1)
  return (e) => readPath(e.body, path)
}

function predicateTest(predicate: FilterPredicate): (value: unknown) => boolean {
  if (predicate === null || typeof predicate !== 'object') return (value) => value === predicate
  if (Array.isArray(predicate)) {
    const allowed = new Set<unknown>(predicate)
    return (value) => value !== undefined && allowed.has(value)
  }
  const checks: ((value: unknown) => boolean)[] = []
  const { equals, contains, exists, gt, gte, lt, lte } = predicate
  if (equals !== undefined) checks.push((value) => value === equals)
  if (predicate.in !== undefined) {
    const allowed = new Set<unknown>(predicate.in)
    checks.push((value) => value !== undefined && allowed.has(value))
  }
  if (contains !== undefined) {
    checks.push((value) => {
      if (Array.isArray(value)) return value.includes(contains)
      return typeof value === 'string' && contains !== null && value.includes(String(contains))
    })
  }
  if (exists !== undefined) checks.push((value) => (value !== undefined && value !== null) === exists)
  const compare = (bound: number | undefined, ok: (a: number, b: number) => boolean) => {
    if (bound === undefined) return
    checks.push((value) => {
      const n = toNumber(value)
      return n !== undefined && ok(n, bound)
    })
  }
  compare(gt, (a, b) => a > b)
  compare(gte, (a, b) => a >= b)
  compare(lt, (a, b) => a < b)
  compare(lte, (a, b) => a <= b)
  return (value) => checks.every((check) => check(value))
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value)
    return Number.isFinite(n) ? n : undefined
  }
  return undefined
}
