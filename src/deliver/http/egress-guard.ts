import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'
import { EgressRefused } from './errors.js'

/**
 * The SSRF guard. A destination URL is typed by whoever holds the admin token or the config file,
 * and an event's delivery is made from inside the network the gateway runs in: without a guard, a
 * destination could read the cloud metadata service (169.254.169.254) or poke internal services.
 *
 * The check runs when the connection is made, against the address actually connected to (the
 * HTTP client's `connect.lookup`), so a name that resolves to a public address when configured and
 * to 127.0.0.1 later (DNS rebinding) is still refused. Refused by default:
 * loopback (127/8, ::1), "this network" (0/8, ::), private (10/8, 172.16/12, 192.168/16),
 * carrier-grade NAT (100.64/10), link-local incl. metadata (169.254/16, fe80::/10), unique-local
 * IPv6 (fc00::/7), site-local (fec0::/10), multicast (224/4, ff00::/8), reserved (240/4, 192.0.0/24,
 * 198.18/15), IPv4-mapped and NAT64 forms of all these, and the names `localhost` / `*.localhost`.
 *
 * `allow` opens specific hosts (exact names or `*.suffix`), addresses or CIDR ranges. An allowed
 * name is trusted whatever it resolves to; an allowed address or range is trusted whatever name
 * led to it.
 */
export interface EgressGuardOptions {
  /** Hosts, IP addresses and CIDR ranges to let through. @default [] */
  allow?: readonly string[]
  /** DNS resolver (tests inject one). @default dns.lookup */
  lookup?: LookupFunction
}

const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
]
const BLOCKED_V6: [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
]

const blocked = new BlockList()
for (const [net, bits] of BLOCKED_V4) blocked.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of BLOCKED_V6) blocked.addSubnet(net, bits, 'ipv6')

export class EgressGuard {
  readonly #allowNames = new Set<string>()
  readonly #allowSuffixes: string[] = []
  readonly #allowAddresses = new BlockList()
  readonly #lookup: LookupFunction
  readonly allow: readonly string[]

  constructor(options: EgressGuardOptions = {}) {
    this.allow = [...(options.allow ?? [])]
    for (const entry of this.allow) {
      const slash = entry.indexOf('/')
      if (slash >= 0) {
        const ip = entry.slice(0, slash)
        const family = isIP(ip)
        if (family === 0) throw new Error(`egress.allow: "${entry}" is not a CIDR range`)
        this.#allowAddresses.addSubnet(ip, Number(entry.slice(slash + 1)), family === 4 ? 'ipv4' : 'ipv6')
      } else if (isIP(entry)) {
        this.#allowAddresses.addAddress(entry, isIP(entry) === 4 ? 'ipv4' : 'ipv6')
      } else if (entry.startsWith('*.')) {
        this.#allowSuffixes.push(normalizeName(entry.slice(1)))
      } else {
        this.#allowNames.add(normalizeName(entry))
      }
    }
    this.#lookup = options.lookup ?? (dnsLookup as LookupFunction)
  }

  /** True when `name` is on the allow-list by name (whatever it resolves to). */
  allowsName(hostname: string): boolean {
    const name = normalizeName(hostname)
    return this.#allowNames.has(name) || this.#allowSuffixes.some((suffix) => name.endsWith(suffix))
  }

  /** Why connecting to `address` is refused, or undefined when it is allowed. */
  refusal(address: string): string | undefined {
    const family = isIP(address)
    if (family === 0) return `"${address}" is not an IP address`
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (this.#allowAddresses.check(address, type)) return undefined
    const embedded = family === 6 ? embeddedIpv4(address) : undefined
    if (embedded !== undefined) {
      if (this.#allowAddresses.check(embedded, 'ipv4')) return undefined
      if (blocked.check(embedded, 'ipv4')) return `${address} (${embedded}) is ${describe(embedded)}`
    }
    if (blocked.check(address, type)) return `${address} is ${describe(address)}`
    return undefined
  }

  /**
   * Checks a host before connecting: IP literals and `localhost` names here; other names when
   * they resolve (`lookup`). Returns the error to fail the connection with, or undefined.
   */
  checkHost(hostname: string): EgressRefused | undefined {
    if (this.allowsName(hostname)) return undefined
    const host = hostname.replace(/^\[|\]$/g, '')
    if (isIP(host)) {
      const why = this.refusal(host)
      return why === undefined ? undefined : refused(host, why)
    }
    const name = normalizeName(host)
    if (name === 'localhost' || name.endsWith('.localhost')) {
      return refused(host, `"${name}" names this machine (loopback)`)
    }
    return undefined
  }

  /** A `net.connect` lookup that refuses names resolving to a refused address (any of them). */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.#lookup(hostname, options, (error, address, family) => {
      if (error) {
        callback(error, address, family)
        return
      }
      if (this.allowsName(hostname)) {
        callback(null, address, family)
        return
      }
      const candidates: LookupAddress[] = Array.isArray(address)
        ? address
        : [{ address: address as string, family: family ?? isIP(address as string) }]
      for (const candidate of candidates) {
        const why = this.refusal(candidate.address)
        if (why !== undefined) {
          callback(refused(hostname, `it resolves to ${why}`), '', 0)
          return
        }
      }
      callback(null, address, family)
    })
  }
}

function refused(host: string, why: string): EgressRefused {
  return new EgressRefused(
    `refused to connect to ${host}: ${why}. Destinations may not reach loopback, private, link-local or ` +
      'metadata addresses; to allow this host add it to egress.allow in the config file or to EGRESS_ALLOW',
  )
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::/96) address. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase()
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (dotted) return dotted[1]
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower)
  if (hex) {
    const high = Number.parseInt(hex[1]!, 16)
    const low = Number.parseInt(hex[2]!, 16)
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
  }
  return undefined
}

function describe(address: string): string {
  const v4 = isIP(address) === 4
  const inRange = (net: string, bits: number) => {
    const list = new BlockList()
    list.addSubnet(net, bits, v4 ? 'ipv4' : 'ipv6')
    return list.check(address, v4 ? 'ipv4' : 'ipv6')
  }
  if (v4) {
    if (inRange('127.0.0.0', 8)) return 'a loopback address'
    if (address === '169.254.169.254') return 'the cloud metadata service'
    if (inRange('169.254.0.0', 16)) return 'a link-local address'
    if (inRange('10.0.0.0', 8) || inRange('172.16.0.0', 12) || inRange('192.168.0.0', 16))
      return 'a private address (RFC 1918)'
    if (inRange('100.64.0.0', 10)) return 'a carrier-grade NAT address (100.64.0.0/10)'
    if (inRange('0.0.0.0', 8)) return 'an unspecified address'
    if (inRange('224.0.0.0', 4)) return 'a multicast address'
    return 'a reserved address'
  }
  if (address === '::1') return 'a loopback address'
  if (address === '::') return 'an unspecified address'
  if (inRange('fc00::', 7)) return 'a unique-local address (fc00::/7)'
  if (inRange('fe80::', 10)) return 'a link-local address'
  if (inRange('ff00::', 8)) return 'a multicast address'
  return 'a reserved address'
}
