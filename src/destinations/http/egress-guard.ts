import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import type { LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'
import { embeddedIpv4, type IpAddress, parseIpLiteral, refusedRange } from './egress-ranges.js'
import { EgressRefused } from './errors.js'

/**
 * The SSRF guard. A destination URL is typed by whoever holds the admin token or the config file,
 * and an event's delivery is made from inside the network the gateway runs in: without a guard, a
 * destination could read the cloud metadata service (169.254.169.254) or poke internal services.
 *
 * The check runs when the connection is made, against the address actually connected to (the
 * HTTP client's `connect.lookup`), so a name that resolves to a public address when configured and
 * to 127.0.0.1 later (DNS rebinding) is still refused. Refused by default: every special-purpose
 * address (egress-ranges.ts: loopback, private, link-local and metadata, CGNAT, multicast, reserved,
 * unique-local…), IPv6 forms that carry one of these (IPv4-mapped, SIIT, IPv4-compatible, NAT64,
 * 6to4, Teredo), and the names `localhost` / `*.localhost` (with or without a trailing dot).
 *
 * `allow` opens specific hosts (exact names or `*.suffix`), addresses or CIDR ranges. An allowed
 * name is trusted whatever it resolves to; an allowed address or range is trusted whatever name
 * led to it, also when it is carried inside an IPv6 address (`::ffff:10.0.0.1` for 10.0.0.0/8).
 */
export interface EgressGuardOptions {
  /** Hosts, IP addresses and CIDR ranges to let through. @default [] */
  allow?: readonly string[]
  /** DNS resolver (tests inject one). @default dns.lookup */
  lookup?: LookupFunction
}

export class EgressGuard {
  readonly #allowNames = new Set<string>()
  readonly #allowSuffixes: string[] = []
  readonly #allowRanges: [IpAddress, number][] = []
  readonly #lookup: LookupFunction
  readonly allow: readonly string[]

  constructor(options: EgressGuardOptions = {}) {
    this.allow = [...(options.allow ?? [])]
    for (const entry of this.allow) {
      if (entry.includes('/')) {
        if (!ipaddr.isValidCIDR(entry)) throw new Error(`egress.allow: "${entry}" is not a CIDR range`)
        this.#allowRanges.push(ipaddr.parseCIDR(entry))
        continue
      }
      const ip = parseIpLiteral(entry)
      if (ip) this.#allowRanges.push([ip, ip.kind() === 'ipv4' ? 32 : 128])
      else if (entry.startsWith('*.')) this.#allowSuffixes.push(normalizeName(entry.slice(1)))
      else this.#allowNames.add(normalizeName(entry))
    }
    this.#lookup = options.lookup ?? (dnsLookup as LookupFunction)
  }

  /** True when `name` is on the allow-list by name (whatever it resolves to). */
  allowsName(hostname: string): boolean {
    const name = normalizeName(hostname)
    return this.#allowNames.has(name) || this.#allowSuffixes.some((suffix) => name.endsWith(suffix))
  }

  /** Why connecting to `address` (an IP literal in any form) is refused, or undefined when it is allowed. */
  refusal(address: string): string | undefined {
    const ip = parseIpLiteral(address)
    if (ip === undefined) return `"${address}" is not an IP address`
    if (this.#allowsAddress(ip)) return undefined
    const embedded = ip.kind() === 'ipv6' ? embeddedIpv4(ip as ipaddr.IPv6) : []
    // An IPv6 address that carries IPv4 ones reaches what they name: they decide.
    for (const v4 of embedded) {
      if (this.#allowsAddress(v4)) continue
      const why = refusedRange(v4)
      if (why !== undefined) return `${ip} (${v4}) is ${why}`
    }
    if (embedded.length) return undefined
    const why = refusedRange(ip)
    return why === undefined ? undefined : `${ip} is ${why}`
  }

  /**
   * Checks a host before connecting: IP literals (any form) and `localhost` names here; other
   * names when they resolve (`lookup`). Returns the error to fail the connection with, or undefined.
   */
  checkHost(hostname: string): EgressRefused | undefined {
    if (this.allowsName(hostname)) return undefined
    const host = hostname.replace(/^\[|\]$/g, '')
    if (parseIpLiteral(host) !== undefined) {
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
        : [{ address: address as string, family: family ?? 0 }]
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

  #allowsAddress(ip: IpAddress): boolean {
    return this.#allowRanges.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits))
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
