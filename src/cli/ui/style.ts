import { styleText } from 'node:util'

/**
 * ANSI colours for one output stream, only when it is a terminal and NO_COLOR is not set
 * (https://no-color.org: present and non-empty disables colour). Piped output stays plain text.
 *
 * The escape codes come from `node:util`'s `styleText`; the decision to colour stays ours, made once
 * per stream: `styleText` would otherwise ask process.stdout (not the stream written to, often
 * stderr), read an empty NO_COLOR as set, and let FORCE_COLOR colour a pipe.
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

type Format = Parameters<typeof styleText>[0]

const paint = (enabled: boolean, format: Format) => (text: string) =>
  enabled ? styleText(format, text, { validateStream: false }) : text

export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Style {
  const enabled = colourEnabled(stream, env)
  return {
    enabled,
    red: paint(enabled, 'red'),
    green: paint(enabled, 'green'),
    yellow: paint(enabled, 'yellow'),
    cyan: paint(enabled, 'cyan'),
    dim: paint(enabled, 'dim'),
    bold: paint(enabled, 'bold'),
  }
}

/** Colour for an HTTP status: 2xx green, 429/5xx/no answer yellow or red, other 4xx red. */
export function statusColour(style: Style, status: number | undefined): (text: string) => string {
  if (status === undefined) return style.red
  if (status >= 200 && status < 300) return style.green
  if (status === 429 || status >= 500) return style.yellow
  return style.red
}
