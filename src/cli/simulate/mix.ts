import {
  type AnyCatalogEntry,
  byCanonical,
  byName,
  CATALOG,
  type EventCategory,
} from '../../catalog/index.js'
import { didYouMean } from '../../did-you-mean.js'
import { UsageError } from '../errors.js'

/**
 * The event mix of a simulation: weights per catalog category (`contact=60`), per event
 * (`ContactCreate=5` or `contact.created=5`), and `other=N` for every category not named, spread
 * evenly. Within a category, its events share the weight evenly.
 *
 * The default leans on what a typical CRM install sees most: contact and opportunity changes,
 * appointments and messages; the long tail (apps, invoices, custom objects, …) is 7 %.
 */
export const DEFAULT_MIX =
  'contact=30,opportunity=20,appointment=15,message=15,conversation=5,note=3,task=3,invoice=2,other=7'

export interface WeightedEvent {
  entry: AnyCatalogEntry
  weight: number
}

const CATEGORIES = [...new Set(CATALOG.map((e) => e.category))] as EventCategory[]

export function parseMix(text: string): WeightedEvent[] {
  const weights = new Map<AnyCatalogEntry, number>()
  const add = (entries: readonly AnyCatalogEntry[], weight: number) => {
    for (const entry of entries) weights.set(entry, (weights.get(entry) ?? 0) + weight / entries.length)
  }
  const named = new Set<EventCategory>()
  let other: number | undefined
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z][\w.-]*)=(\d+(?:\.\d+)?)$/.exec(part)
    if (!match)
      throw new UsageError(`--mix takes name=weight pairs, e.g. contact=60,opportunity=30 (got "${part}")`)
    const [, key, value] = match as unknown as [string, string, string]
    const weight = Number(value)
    if (key === 'other') {
      other = weight
      continue
    }
    if ((CATEGORIES as string[]).includes(key)) {
      named.add(key as EventCategory)
      add(
        CATALOG.filter((e) => e.category === key),
        weight,
      )
      continue
    }
    const entry = byName(key) ?? byCanonical(key)
    if (!entry) {
      const near = didYouMean(key, [...CATEGORIES, 'other', ...CATALOG.flatMap((e) => [e.name, e.canonical])])
      throw new UsageError(
        `--mix: "${key}" is neither an event nor a category${near ? ` (${near})` : ''}; categories are ${CATEGORIES.join(', ')}, plus other`,
      )
    }
    named.add(entry.category)
    add([entry], weight)
  }
  if (other !== undefined && other > 0) {
    const rest = CATEGORIES.filter((c) => !named.has(c))
    for (const category of rest)
      add(
        CATALOG.filter((e) => e.category === category),
        other / rest.length,
      )
  }
  const result = [...weights].filter(([, w]) => w > 0).map(([entry, weight]) => ({ entry, weight }))
  if (!result.length)
    throw new UsageError('--mix gives every event a weight of 0; give at least one a positive weight')
  return result
}

/** Picks events in proportion to their weights. */
export function createPicker(mix: readonly WeightedEvent[], random: () => number): () => AnyCatalogEntry {
  const total = mix.reduce((sum, m) => sum + m.weight, 0)
  const cumulative: number[] = []
  let running = 0
  for (const m of mix) {
    running += m.weight / total
    cumulative.push(running)
  }
  return () => {
    const r = random()
    let low = 0
    let high = cumulative.length - 1
    while (low < high) {
      const mid = (low + high) >> 1
      if (r < cumulative[mid]!) high = mid
      else low = mid + 1
    }
    return mix[low]!.entry
  }
}
