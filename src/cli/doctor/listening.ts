import { readFileSync } from 'node:fs'
import { endianness } from 'node:os'

/**
 * The local addresses listening on a TCP port, read from Linux's /proc/net/tcp and tcp6 (one line
 * per socket: local address and port in hex, state 0A = LISTEN). Lets doctor say where a running
 * gateway is actually bound (127.0.0.1, 0.0.0.0, ::), not where doctor's own HOST would bind.
 * Undefined where /proc is not there (macOS, Windows).
 */
export function listeningAddresses(port: number): string[] | undefined {
  const found: string[] = []
  let readAny = false
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    readAny = true
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      if (state !== '0A' || !local) continue
      const [hexAddress = '', hexPort = ''] = local.split(':')
      if (Number.parseInt(hexPort, 16) !== port) continue
      const address = decodeAddress(hexAddress)
      if (address !== undefined && !found.includes(address)) found.push(address)
    }
  }
  return readAny ? found : undefined
}

/** The kernel writes each 32-bit word of the address in host byte order. */
function decodeAddress(hex: string): string | undefined {
  if (hex.length !== 8 && hex.length !== 32) return undefined
  const bytes: number[] = []
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = hex
      .slice(word, word + 8)
      .match(/../g)!
      .map((pair) => Number.parseInt(pair, 16))
    bytes.push(...(endianness() === 'LE' ? wordBytes.reverse() : wordBytes))
  }
  if (bytes.length === 4) return bytes.join('.')
  const groups = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16))
  // The URL parser writes IPv6 in its canonical short form (and IPv4-mapped ones as ::ffff:a.b.c.d).
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
}
