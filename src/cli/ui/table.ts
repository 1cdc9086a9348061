/** Plain-text tables for terminal output: columns padded to the widest cell, two spaces apart. */

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/** `—` for missing values in tables. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—'
  return String(value)
}
