/**
 * SQL as text with its parameters in place. An operation writes its statement once, as a `sql`
 * template; a dialect renders it for its driver (`$1` or `?`, see dialect.ts), so the statement an
 * operation sends is the one you read, and a placeholder's number is never rewritten afterwards.
 *
 * An interpolation is either SQL (`raw` text, another `sql` fragment) or a `param` — never a bare
 * value, so nothing a caller passes can become SQL text by accident.
 */

/** A value sent beside the statement. The same Param used twice is one `$n` on PostgreSQL. */
export class Param {
  constructor(readonly value: unknown) {}
}

export class Sql {
  constructor(readonly parts: readonly (string | Param | Sql)[]) {}
}

export const param = (value: unknown): Param => new Param(value)

/** Trusted SQL text: column lists, literals built from closed sets. Never caller input. */
export const raw = (text: string): Sql => new Sql([text])

export const EMPTY = raw('')

export function sql(strings: TemplateStringsArray, ...values: readonly (Sql | Param)[]): Sql {
  const parts: (string | Param | Sql)[] = []
  strings.forEach((text, i) => {
    if (text) parts.push(text)
    const value = values[i]
    if (value !== undefined) parts.push(value)
  })
  return new Sql(parts)
}

export function join(fragments: readonly (Sql | Param)[], separator: string): Sql {
  return new Sql(fragments.flatMap((fragment, i) => (i === 0 ? [fragment] : [separator, fragment])))
}

/** `WHERE a AND b …`, or nothing when there are no conditions. */
export function where(conditions: readonly Sql[]): Sql {
  return conditions.length ? sql`WHERE ${join(conditions, ' AND ')}` : EMPTY
}

/** A statement ready for a driver. */
export interface Rendered {
  text: string
  values: unknown[]
}

/**
 * Walks a statement in text order. `numbered`: each distinct Param gets `$n` at its first use and
 * keeps it (PostgreSQL); otherwise every use is a `?` with its own copy of the value (SQLite).
 */
export function render(query: Sql, numbered: boolean): Rendered {
  const values: unknown[] = []
  const numbers = new Map<Param, number>()
  let text = ''
  const walk = (fragment: Sql) => {
    for (const part of fragment.parts) {
      if (typeof part === 'string') text += part
      else if (part instanceof Sql) walk(part)
      else if (!numbered) {
        values.push(part.value)
        text += '?'
      } else {
        let n = numbers.get(part)
        if (n === undefined) {
          n = values.push(part.value)
          numbers.set(part, n)
        }
        text += `$${n}`
      }
    }
  }
  walk(query)
  return { text, values }
}
