/**
 * Small statistics and table helpers shared by the benchmarks: percentiles of one run, medians and
 * min–max over runs, and a plain-text table.
 */

export interface Percentiles {
  count: number
  min: number
  mean: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
}

/** Nearest-rank percentiles (`values` need not be sorted; it is not modified). */
export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  if (n === 0) return { count: 0, min: NaN, mean: NaN, p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN }
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: n,
    min: sorted[0]!,
    mean: sum / n,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted[n - 1]!,
  }
}

export function median(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Median and range over runs. */
export interface Spread {
  median: number
  min: number
  max: number
  runs: number
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v))
  return {
    median: median(finite),
    min: finite.length ? Math.min(...finite) : NaN,
    max: finite.length ? Math.max(...finite) : NaN,
    runs: finite.length,
  }
}

/** A number for a table: integers with thousands separators, small values with 2–3 digits. */
export function num(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return '–'
  if (digits !== undefined)
    return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
  const a = Math.abs(n)
  if (a >= 100) return Math.round(n).toLocaleString('en-US')
  if (a >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

/** `median (min–max)`, or just the value for a single run. */
export function fmtSpread(s: Spread, digits?: number): string {
  if (s.runs <= 1 || s.min === s.max) return num(s.median, digits)
  return `${num(s.median, digits)} (${num(s.min, digits)}–${num(s.max, digits)})`
}

/** The first `leftColumns` columns left-aligned, the others right-aligned, a dashed line under the header. */
export function formatTable(rows: string[][], leftColumns = 1): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows
    .map((r, i) => {
      const line = widths
        .map((w, c) => (c < leftColumns ? (r[c] ?? '').padEnd(w) : (r[c] ?? '').padStart(w)))
        .join('  ')
        .trimEnd()
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line
    })
    .join('\n')
}

/** The same rows as a Markdown table (for pasting into docs/benchmarks.md). */
export function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows
  return [
    `| ${head!.join(' | ')} |`,
    `|${head!.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
