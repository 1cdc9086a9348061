import { encodeCursor } from './cursor.js'

export interface PageRequest {
  limit: number
  /** Opaque cursor from a previous page. */
  cursor?: string
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}

/** The first `limit` of `rows` (which holds up to one more, fetched to know whether a next page exists). */
export function pageOf<R, T extends { seq: number }>(
  rows: readonly R[],
  limit: number,
  toItem: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit).map(toItem)
  const last = items.at(-1)
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null }
}
