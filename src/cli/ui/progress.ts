/**
 * A one-line progress display on stderr, drawn only when stderr is a terminal (and never into a
 * pipe or a log file). Redraws at most every 100 ms; `done()` clears the line.
 */

export interface Progress {
  /** `current` of `total` (when known), with a short status text after the bar. */
  update(current: number, text?: string): void
  done(): void
}

const WIDTH = 24
const REDRAW_MS = 100

const silent: Progress = { update() {}, done() {} }

export function createProgress(
  options: { total?: number; label: string; stream?: NodeJS.WriteStream; enabled?: boolean } = { label: '' },
): Progress {
  const stream = options.stream ?? process.stderr
  if (!stream.isTTY || options.enabled === false) return silent
  let last = 0
  let shown = false
  const draw = (current: number, text: string) => {
    const { total } = options
    let bar = ''
    if (total !== undefined && total > 0) {
      const ratio = Math.min(1, current / total)
      const filled = Math.round(ratio * WIDTH)
      bar = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% `
    }
    const count = total !== undefined ? `${current}/${total}` : String(current)
    const line = `${options.label} ${bar}${count}${text ? `  ${text}` : ''}`
    const columns = stream.columns || 80
    stream.write(`\r\x1b[2K${line.slice(0, Math.max(10, columns - 1))}`)
    shown = true
  }
  return {
    update(current, text = '') {
      const now = Date.now()
      if (now - last < REDRAW_MS) return
      last = now
      draw(current, text)
    },
    done() {
      if (shown) stream.write('\r\x1b[2K')
      shown = false
    },
  }
}
