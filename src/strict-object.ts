import { z } from 'zod'
import { didYouMean } from './did-you-mean.js'

/**
 * `z.strictObject` whose unknown-key issue names each key and the nearest real one:
 * `unknown key "destinatons"; did you mean "destinations"?`. Every object in the config file and in
 * the admin API's documents is built with it, so a misspelt setting stops the gateway (or gets a 400)
 * instead of being ignored. The key path is added by `formatIssues`.
 */
export function strictObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape)
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknownKeys(issue.keys, known) : undefined),
  })
}

export function unknownKeys(keys: readonly string[], known: readonly string[]): string {
  return keys
    .map((key) => {
      const near = didYouMean(key, known)
      return `unknown key "${key}"; ${near ?? `the keys here are ${known.join(', ')}`}`
    })
    .join('; ')
}
