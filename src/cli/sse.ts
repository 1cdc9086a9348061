/**
 * A Server-Sent Events reader (https://html.spec.whatwg.org/multipage/server-sent-events.html) for
 * `tail`: feed it text as it arrives; it calls back once per complete message. Comment lines
 * (`: heartbeat`) are reported separately so a caller can tell a live but quiet stream from a dead one.
 */

export interface SseMessage {
  /** `event:` field; `message` when absent. */
  event: string
  /** `data:` lines joined with `\n`. */
  data: string
}

export interface SseParser {
  push(text: string): void
}

/** Lines longer than this without an end are a broken stream, not an event. */
const MAX_PENDING = 4 * 1024 * 1024

export function createSseParser(
  onMessage: (message: SseMessage) => void,
  onComment: (text: string) => void = () => {},
): SseParser {
  let pending = ''
  let event = ''
  let data: string[] = []
  const dispatch = () => {
    if (data.length) onMessage({ event: event || 'message', data: data.join('\n') })
    event = ''
    data = []
  }
  const line = (text: string) => {
    if (text === '') return dispatch()
    if (text.startsWith(':')) return onComment(text.slice(1).trimStart())
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
    // id and retry are not used by the gateway's stream.
  }
  return {
    push(text) {
      pending += text
      const newline = /\r\n|\r|\n/g
      let start = 0
      for (let match = newline.exec(pending); match; match = newline.exec(pending)) {
        // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
        if (match[0] === '\r' && match.index === pending.length - 1) break
        line(pending.slice(start, match.index))
        start = match.index + match[0].length
      }
      pending = pending.slice(start)
      if (pending.length > MAX_PENDING) throw new Error('the event stream sent a line longer than 4 MiB')
    },
  }
}
