import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isJsonObject, type JsonObject } from './read-body.js'
import { type GhlEventName, isGhlEventName } from './registry.js'
import type { GhlEventMap } from './types.js'

/**
 * One realistic sample body per event, written from GHL's field lists (flat, with the platform's
 * appId/versionId/timestamp/webhookId). Used by tests and by `ghl-gateway send`. The JSON files sit
 * next to this module, and the build copies every JSON file under src/ into dist/ with its path, so
 * the relative URL works from both.
 */

const cache = new Map<string, string>()

/** A fresh parse of the event's fixture (callers may mutate it). Throws for a name not in the catalog. */
export function loadFixture(name: GhlEventName): unknown {
  if (!isGhlEventName(name)) throw new Error(`loadFixture: "${String(name)}" is not a GHL event name`)
  let text = cache.get(name)
  if (text === undefined) {
    text = readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')
    cache.set(name, text)
  }
  return JSON.parse(text) as unknown
}

/** The fixture's payload type without the array form (SaaSPlanCreate). */
type FixtureItem<N extends GhlEventName> = Exclude<GhlEventMap[N], readonly unknown[]>

/**
 * The fixture as a new delivery: a new `webhookId` (random UUID) and `timestamp` (now), then
 * `overrides` shallow-merged on top. For an array body every item gets them.
 */
export function freshFixture<N extends GhlEventName>(
  name: N,
  overrides: Partial<FixtureItem<N>> = {},
  now: Date = new Date(),
): GhlEventMap[N] {
  const body = loadFixture(name)
  const webhookId = randomUUID()
  const timestamp = now.toISOString()
  const refresh = (item: JsonObject) => Object.assign(item, { webhookId, timestamp }, overrides)
  if (Array.isArray(body)) {
    for (const item of body) if (isJsonObject(item)) refresh(item)
  } else if (isJsonObject(body)) {
    refresh(body)
  }
  return body as GhlEventMap[N]
}
