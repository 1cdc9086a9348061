/**
 * Plain-text summaries: one line per run, and aligned tables. No test-runner imports here, so the
 * suite's global teardown (summary-setup.ts) can use them too.
 */

const fmt = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US') : String(value))

/**
 * One plain-text line per scenario run, e.g.
 * `crash sqlite: kills 20  acked 12,345  lost 0  redelivered 17  duplicates-after-dedupe 0  dropped 0`,
 * printed by every test and collected for the final table.
 */
export function summaryLine(title: string, figures: Record<string, unknown>): string {
  return `${title}: ${Object.entries(figures)
    .map(([key, value]) => `${key} ${fmt(value)}`)
    .join('  ')}`
}

/** A table of rows with the same keys, aligned, for the end of a run. */
export function summaryTable(title: string, rows: Record<string, unknown>[]): string {
  if (!rows.length) return `${title}: (no rows)`
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))]
  const cells = rows.map((row) => keys.map((key) => (row[key] === undefined ? '' : fmt(row[key]))))
  const widths = keys.map((key, i) => Math.max(key.length, ...cells.map((row) => row[i]!.length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [`== ${title} ==`, line(keys), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}

/** Counts of each key, sorted by key, as `a 3, b 1`. */
export function countsText(counts: Map<string, number> | Record<string, number>): string {
  const entries = counts instanceof Map ? [...counts] : Object.entries(counts)
  return (
    entries
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => `${key} ${fmt(n)}`)
      .join(', ') || '—'
  )
}
