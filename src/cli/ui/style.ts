/**
 * ANSI colours for one output stream, only when it is a terminal and NO_COLOR is not set
 * (https://no-color.org: present and non-empty disables colour). Piped output stays plain text.
 */

export interface Style {
  readonly enabled: boolean
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
  dim(text: string): string
  bold(text: string): string
}

export function colourEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return stream.isTTY === true && env.TERM !== 'dumb'
}

const wrap = (enabled: boolean, open: number, close: number) => (text: string) =>
  enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text

export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Style {
  const enabled = colourEnabled(stream, env)
  return {
    enabled,
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    cyan: wrap(enabled, 36, 39),
    dim: wrap(enabled, 2, 22),
    bold: wrap(enabled, 1, 22),
  }
}

/** Colour for an HTTP status: 2xx green, 429/5xx/no answer yellow or red, other 4xx red. */
export function statusColour(style: Style, status: number | undefined): (text: string) => string {
  if (status === undefined) return style.red
  if (status >= 200 && status < 300) return style.green
  if (status === 429 || status >= 500) return style.yellow
  return style.red
}
