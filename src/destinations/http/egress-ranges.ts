import ipaddr from 'ipaddr.js'

/**
 * Which IP addresses a destination may not connect to. The special-purpose ranges come from
 * ipaddr.js (it follows IANA's IPv4 and IPv6 special-purpose address registries), not from a list
 * of our own: every address it does not call `unicast` is refused — loopback, "this network",
 * private (RFC 1918), carrier-grade NAT, link-local (the cloud metadata service), broadcast,
 * multicast, reserved, documentation, benchmarking, AS112, AMT, unique-local, site-local, discard,
 * ORCHID, segment routing…
 *
 * IPv6 addresses that carry an IPv4 address are judged by that IPv4 address: IPv4-mapped
 * (::ffff:a.b.c.d), SIIT (::ffff:0:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96),
 * 6to4 (2002:AABB:CCDD::/48) and Teredo (server and client, the client's bits inverted). So
 * `[::ffff:8.8.8.8]` may be reached and `[2002:7f00:1::]` (127.0.0.1 over 6to4) may not. The
 * local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) is refused whole: where its IPv4 address sits
 * depends on the prefix length each network chose, so no reading of it can be trusted.
 */

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6

/**
 * An IP literal in any form a URL parser or resolver reads as one: dotted, decimal (`2130706433`),
 * hex (`0x7f.1`), octal (`0177.0.0.1`), short (`127.1`), with a trailing dot, IPv6 with or
 * without brackets. undefined for a host name.
 */
export function parseIpLiteral(text: string): IpAddress | undefined {
  const host = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  // ipaddr.js answers "no" by throwing (~50 µs): only ask it about what could be a literal.
  if (host.includes(':')) return ipaddr.IPv6.isValid(host) ? ipaddr.IPv6.parse(host) : undefined
  const v4 = host.endsWith('.') ? host.slice(0, -1) : host
  if (!IPV4_CHARACTERS.test(v4)) return undefined
  return ipaddr.IPv4.isValid(v4) ? ipaddr.IPv4.parse(v4) : undefined
}

/** What any IPv4 spelling is made of: decimal, octal and hex (`0x`) parts, dots. */
const IPV4_CHARACTERS = /^[0-9a-fx.]+$/i

/** The IPv4 addresses an IPv6 address carries (none for a plain IPv6 address). */
export function embeddedIpv4(ip: ipaddr.IPv6): ipaddr.IPv4[] {
  const p = ip.parts as [number, number, number, number, number, number, number, number]
  const last = ipv4Of(p[6], p[7])
  switch (ip.range() as string) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return [last]
    case 'rfc6052':
      return isLocalUseNat64(ip) ? [] : [last]
    case '6to4':
      return [ipv4Of(p[1], p[2])]
    case 'teredo':
      return [ipv4Of(p[2], p[3]), ipv4Of(p[6] ^ 0xffff, p[7] ^ 0xffff)]
    case 'unicast':
      // IPv4-compatible (::a.b.c.d, deprecated by RFC 4291); :: and ::1 have ranges of their own.
      return p.slice(0, 6).every((part) => part === 0) ? [last] : []
    default:
      return []
  }
}

/** What makes `ip` refused (`a loopback address`), or undefined for an ordinary unicast address. */
export function refusedRange(ip: IpAddress): string | undefined {
  const range = ip.range() as string
  if (range === 'unicast') return undefined
  if (ip.kind() === 'ipv4' && ip.toString() === '169.254.169.254') return 'the cloud metadata service'
  if (range === 'rfc6052' && isLocalUseNat64(ip as ipaddr.IPv6))
    return 'a local-use NAT64 address (64:ff9b:1::/48)'
  return DESCRIPTIONS[range] ?? `a special-purpose address (${range})`
}

const DESCRIPTIONS: Record<string, string> = {
  loopback: 'a loopback address',
  unspecified: 'an unspecified ("this network") address',
  private: 'a private address (RFC 1918)',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  linkLocal: 'a link-local address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  deprecatedSiteLocal: 'a site-local address (fec0::/10)',
  reserved: 'a reserved address',
}

function isLocalUseNat64(ip: ipaddr.IPv6): boolean {
  return ip.parts[0] === 0x64 && ip.parts[1] === 0xff9b && ip.parts[2] === 1
}

function ipv4Of(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 255, low >> 8, low & 255])
}
