import type { z } from 'zod'

/** zod issues as one sentence: `path: message; …`, for a ConfigError or a 400 answer. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .flatMap(unwrapUnion)
    .map((issue) => {
      const path = issue.path.join('.')
      // Messages that name their setting themselves (`PORT must be …`) need no prefix.
      return path && !issue.message.startsWith(`${path} `) ? `${path}: ${issue.message}` : issue.message
    })
    .join('; ')
}

/**
 * A value that fits no member of a union gets zod's bare "Invalid input". When exactly one member
 * takes a value of its type (`{ id, vaule }` for "a string or { id, value }"), that member's
 * issues say what is wrong with it.
 */
function unwrapUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue]
  const fitting = issue.errors.filter(
    (member) => !member.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
  )
  if (fitting.length !== 1) return [issue]
  return fitting[0]!.flatMap((inner) => unwrapUnion({ ...inner, path: [...issue.path, ...inner.path] }))
}
