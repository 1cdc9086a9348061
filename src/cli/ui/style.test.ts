import { describe, expect, it } from 'vitest'
import { styleFor } from './style.js'

/**
 * Colour only on a terminal, never with NO_COLOR set and non-empty or TERM=dumb; decided for the
 * stream written to, whatever process.stdout is (under vitest it is not a terminal).
 */
const terminal = { isTTY: true } as NodeJS.WriteStream
const pipe = { isTTY: false } as NodeJS.WriteStream

describe('styleFor', () => {
  it('a terminal gets ANSI colours, whatever process.stdout is', () => {
    const style = styleFor(terminal, {})
    expect(style.enabled).toBe(true)
    expect([style.red('a'), style.green('a'), style.yellow('a'), style.cyan('a')]).toEqual([
      '\x1b[31ma\x1b[39m',
      '\x1b[32ma\x1b[39m',
      '\x1b[33ma\x1b[39m',
      '\x1b[36ma\x1b[39m',
    ])
    expect([style.dim('a'), style.bold('a')]).toEqual(['\x1b[2ma\x1b[22m', '\x1b[1ma\x1b[22m'])
  })

  it('a pipe, NO_COLOR or TERM=dumb get plain text; an empty NO_COLOR does not count', () => {
    expect(styleFor(pipe, {}).red('a')).toBe('a')
    expect(styleFor(pipe, { FORCE_COLOR: '1' }).red('a')).toBe('a')
    expect(styleFor(terminal, { NO_COLOR: '1' }).red('a')).toBe('a')
    expect(styleFor(terminal, { TERM: 'dumb' }).bold('a')).toBe('a')
    expect(styleFor(terminal, { NO_COLOR: '' }).red('a')).toBe('\x1b[31ma\x1b[39m')
  })
})
