import { describe, expect, it } from 'vitest'
import { createSseParser, type SseMessage } from './sse.js'

function parse(chunks: string[]): { messages: SseMessage[]; comments: string[] } {
  const messages: SseMessage[] = []
  const comments: string[] = []
  const parser = createSseParser(
    (m) => messages.push(m),
    (c) => comments.push(c),
  )
  for (const chunk of chunks) parser.push(chunk)
  return { messages, comments }
}

describe('SSE parser', () => {
  it('reads events, multi-line data and comments', () => {
    const { messages, comments } = parse([
      ': connected\n\nevent: event\ndata: {"a":1}\n\ndata: line 1\ndata: line 2\n\n: heartbeat\n\n',
    ])
    expect(comments).toEqual(['connected', 'heartbeat'])
    expect(messages).toEqual([
      { event: 'event', data: '{"a":1}' },
      { event: 'message', data: 'line 1\nline 2' },
    ])
  })

  it('joins messages split anywhere across chunks, with \\n, \\r\\n or \\r line ends', () => {
    const text = 'event: overflow\r\ndata: {"x":"y"}\r\n\r\nevent: a\rdata:b\r\rdata: c\n\n'
    for (let cut = 1; cut < text.length; cut++) {
      const { messages } = parse([text.slice(0, cut), text.slice(cut)])
      expect(messages, `cut at ${cut}`).toEqual([
        { event: 'overflow', data: '{"x":"y"}' },
        { event: 'a', data: 'b' },
        { event: 'message', data: 'c' },
      ])
    }
  })

  it('does not dispatch a message before its blank line', () => {
    expect(parse(['event: event\ndata: {}\n']).messages).toEqual([])
  })
})
