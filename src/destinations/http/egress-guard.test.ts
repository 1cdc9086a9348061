import { lookup as dnsLookup } from 'node:dns'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, LookupFunction } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDeadline, HttpClient } from './client.js'
import { EgressGuard } from './egress-guard.js'
import { EgressRefused } from './errors.js'

/** The SSRF guard: which addresses it refuses, and that the HTTP client asks it at connect time. */

describe('EgressGuard.refusal', () => {
  const guard = new EgressGuard()
  // [address, what the refusal says it is]: every special-purpose range, and every IPv6 form
  // that carries a refused IPv4 address.
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', '"this network"'],
    ['0.1.2.3', '"this network"'],
    ['10.0.0.1', 'RFC 1918'],
    ['172.16.5.4', 'RFC 1918'],
    ['172.31.255.255', 'RFC 1918'],
    ['192.168.1.1', 'RFC 1918'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['169.254.169.254', 'cloud metadata service'],
    ['169.254.1.1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.1', 'reserved'],
    ['203.0.113.1', 'reserved'],
    ['192.175.48.1', 'as112'],
    ['192.52.193.1', 'amt'],
    ['::1', 'loopback'],
    ['::', '"this network"'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['100::1', 'discard'],
    ['2001:db8::1', 'reserved'],
    ['2001:2::1', 'benchmarking'],
    ['2001:20::1', 'orchid2'],
    ['5f00::1', 'segmentRouting'],
    // IPv4-mapped, in its dotted and hex spellings and in full
    ['::ffff:127.0.0.1', '(127.0.0.1) is a loopback'],
    ['::ffff:7f00:1', '(127.0.0.1) is a loopback'],
    ['0:0:0:0:0:ffff:7f00:1', '(127.0.0.1) is a loopback'],
    ['::ffff:a9fe:a9fe', '(169.254.169.254) is the cloud metadata service'],
    // IPv4-compatible (deprecated)
    ['::127.0.0.1', '(127.0.0.1) is a loopback'],
    ['::7f00:1', '(127.0.0.1) is a loopback'],
    ['::a9fe:a9fe', '(169.254.169.254) is the cloud metadata service'],
    ['::10.0.0.1', '(10.0.0.1) is a private'],
    // SIIT (RFC 6145)
    ['::ffff:0:127.0.0.1', '(127.0.0.1) is a loopback'],
    ['::ffff:0:a9fe:a9fe', '(169.254.169.254) is the cloud metadata service'],
    // NAT64: the well-known prefix carries an IPv4 address; the local-use one is refused whole
    ['64:ff9b::10.0.0.1', '(10.0.0.1) is a private'],
    ['64:ff9b::7f00:1', '(127.0.0.1) is a loopback'],
    ['64:ff9b:1::7f00:1', 'local-use NAT64'],
    ['64:ff9b:1::808:808', 'local-use NAT64'],
    // 6to4: bits 16–47
    ['2002:7f00:1::', '(127.0.0.1) is a loopback'],
    ['2002:a9fe:a9fe::1', '(169.254.169.254) is the cloud metadata service'],
    ['2002:c0a8:101::', '(192.168.1.1) is a private'],
    // Teredo: the server (bits 32–63) and the client (last 32 bits, inverted)
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', '(127.0.0.1) is a loopback'],
    ['2001:0:a9fe:a9fe::', '(169.254.169.254) is the cloud metadata service'],
    // Non-dotted IPv4 literals, as a resolver may be handed them
    ['2130706433', '127.0.0.1 is a loopback'],
    ['0x7f.1', '127.0.0.1 is a loopback'],
    ['0177.0.0.1', '127.0.0.1 is a loopback'],
    ['127.1', '127.0.0.1 is a loopback'],
    ['0251.0376.0251.0376', 'cloud metadata service'],
    ['127.0.0.1.', '127.0.0.1 is a loopback'],
  ])('refuses %s (%s)', (address, what) => {
    expect(guard.refusal(address)).toContain(what)
  })

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '192.169.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '::808:808',
    '::ffff:0:808:808',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ])('allows %s', (address) => {
    expect(guard.refusal(address)).toBeUndefined()
  })

  it('names what an address is', () => {
    expect(guard.refusal('169.254.169.254')).toBe('169.254.169.254 is the cloud metadata service')
    expect(guard.refusal('10.1.2.3')).toBe('10.1.2.3 is a private address (RFC 1918)')
    expect(guard.refusal('100.64.1.1')).toBe('100.64.1.1 is a carrier-grade NAT address (100.64.0.0/10)')
    expect(guard.refusal('fd00::1')).toBe('fd00::1 is a unique-local address (fc00::/7)')
  })

  it('opens allow-listed addresses, ranges and names', () => {
    const open = new EgressGuard({
      allow: ['127.0.0.1', '10.20.0.0/16', 'fd00::/8', 'hooks.internal', '*.corp.example'],
    })
    expect(open.refusal('127.0.0.1')).toBeUndefined()
    expect(open.refusal('127.0.0.2')).toBeDefined()
    expect(open.refusal('10.20.3.4')).toBeUndefined()
    expect(open.refusal('10.21.0.1')).toBeDefined()
    expect(open.refusal('fd00::5')).toBeUndefined()
    expect(open.refusal('::ffff:127.0.0.1')).toBeUndefined()
    expect(open.refusal('::ffff:10.20.0.1')).toBeUndefined()
    expect(open.refusal('2002:a14:1::')).toBeUndefined()
    expect(open.refusal('::ffff:10.21.0.1')).toBeDefined()
    expect(open.allowsName('HOOKS.internal.')).toBe(true)
    expect(open.allowsName('a.b.corp.example')).toBe(true)
    expect(open.allowsName('corp.example')).toBe(false)
    expect(open.checkHost('localhost')).toBeInstanceOf(EgressRefused)
    expect(open.checkHost('hooks.internal')).toBeUndefined()
  })

  it('refuses localhost names before resolving them', () => {
    for (const name of ['localhost', 'LOCALHOST.', 'api.localhost'])
      expect(guard.checkHost(name)).toBeInstanceOf(EgressRefused)
    expect(guard.checkHost('example.com')).toBeUndefined()
    expect(guard.checkHost('[::1]')).toBeInstanceOf(EgressRefused)
  })
})

describe('HttpClient with the guard', () => {
  let server: Server
  let port: number
  let hits = 0
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++
      res.end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  // First answer public, then 127.0.0.1: the check happens at connect time, on what is connected to.
  let answers = 0
  const rebinding: LookupFunction = (_hostname, options, callback) => {
    const address = answers++ === 0 ? '93.184.216.34' : '127.0.0.1'
    if ((options as { all?: boolean }).all) callback(null, [{ address, family: 4 }])
    else callback(null, address, 4)
  }

  const send = async (client: HttpClient, url: string) => {
    const deadline = createDeadline(2000)
    try {
      return await client.send({
        url,
        method: 'POST',
        headers: {},
        body: Buffer.from('{}'),
        deadline,
        responseBodyBytes: 10,
      })
    } finally {
      deadline.clear()
    }
  }

  it('refuses at connect time, including a name that re-resolves to loopback; the allow-list opens it', async () => {
    const guarded = new HttpClient({ guard: new EgressGuard({ lookup: rebinding }) })
    // The first resolution (a public address, e.g. when the destination was configured) is not connected to.
    await new Promise<void>((resolve) => rebinding('rebind.test', {}, () => resolve()))
    for (const url of [
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/`,
      `http://rebind.test:${port}/`,
    ]) {
      const result = await send(guarded, url)
      expect(result.kind, url).toBe('error')
      if (result.kind === 'error') expect(result.error, url).toBeInstanceOf(EgressRefused)
    }
    expect(hits).toBe(0)
    await guarded.close()

    const open = new HttpClient({ guard: new EgressGuard({ allow: ['127.0.0.1'] }) })
    const result = await send(open, `http://127.0.0.1:${port}/`)
    expect(result).toMatchObject({ kind: 'response', status: 200, saved: { body: 'ok' } })
    expect(hits).toBe(1)
    await open.close()
  })
})

/**
 * Every literal form and name through the path a delivery takes: the URL parser, the connector's
 * `checkHost`, then `lookup` for names. The server listens on 127.0.0.1, so a form that slipped
 * through to it would show as a request.
 */
describe('the guard on the real client path', () => {
  let server: Server
  let port: number
  let hits = 0
  let client: HttpClient
  // Names a test resolver answers with a refused address (in the form a resolver may return it).
  const RESOLVES: Record<string, string> = {
    'loopback.test': '127.0.0.1',
    'metadata.test': '169.254.169.254',
    'mapped.test': '::ffff:127.0.0.1',
    'compatible.test': '::7f00:1',
    'siit.test': '::ffff:0:a9fe:a9fe',
    'nat64.test': '64:ff9b::a00:1',
    'nat64-local.test': '64:ff9b:1::7f00:1',
    '6to4.test': '2002:7f00:1::',
    'teredo.test': '2001:0:4136:e378:8000:63bf:80ff:fffe',
    'unique-local.test': 'fd00:ec2::254',
  }
  const resolver: LookupFunction = (hostname, options, callback) => {
    const address = RESOLVES[hostname.replace(/\.$/, '')]
    if (address === undefined) {
      dnsLookup(hostname, options, callback)
      return
    }
    const family = address.includes(':') ? 6 : 4
    if ((options as { all?: boolean }).all) callback(null, [{ address, family }])
    else callback(null, address, family)
  }
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++
      res.end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
    client = new HttpClient({ guard: new EgressGuard({ lookup: resolver }) })
  })
  afterAll(async () => {
    await client.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it.each([
    // IPv4 literals: decimal, hex, octal, short, trailing dot
    '127.0.0.1',
    '2130706433',
    '0x7f000001',
    '0x7f.1',
    '0x7f.0x0.0x0.0x1',
    '0177.0.0.1',
    '017700000001',
    '127.1',
    '127.0.1',
    '127.0.0.1.',
    '0',
    '0251.0376.0251.0376',
    '3232235777',
    // IPv6 literals and IPv4 embedded in them
    '[::1]',
    '[0:0:0:0:0:0:0:1]',
    '[::]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[::127.0.0.1]',
    '[::a9fe:a9fe]',
    '[::ffff:0:127.0.0.1]',
    '[64:ff9b::127.0.0.1]',
    '[64:ff9b:1::7f00:1]',
    '[2002:7f00:1::]',
    '[2001:0:4136:e378:8000:63bf:80ff:fffe]',
    '[fe80::1]',
    '[fd00::1]',
    // names
    'localhost',
    'LOCALHOST',
    'localhost.',
    'x.localhost',
    'x.localhost.',
    ...Object.keys(RESOLVES),
    ...Object.keys(RESOLVES).map((name) => `${name}.`),
  ])('refuses http://%s', async (host) => {
    const deadline = createDeadline(5000)
    try {
      const result = await client.send({
        url: `http://${host}:${port}/hook`,
        method: 'POST',
        headers: {},
        body: Buffer.from('{}'),
        deadline,
        responseBodyBytes: 10,
      })
      expect(result.kind).toBe('error')
      if (result.kind === 'error') {
        expect(result.error).toBeInstanceOf(EgressRefused)
        expect(result.error.message).toContain('egress.allow')
      }
      expect(hits).toBe(0)
    } finally {
      deadline.clear()
    }
  })

  it.each(['0x7f.1', '2130706433', '0177.0.0.1', '127.1', '127.0.0.1.', '[::127.0.0.1]', 'localhost.'])(
    'checkHost refuses %s as the connector might be handed it, unnormalised',
    (host) => {
      expect(new EgressGuard().checkHost(host)).toBeInstanceOf(EgressRefused)
    },
  )

  it.each(['2130706433', '0x7f.1', '127.1'])(
    'lookup refuses %s resolved by the system resolver',
    async (name) => {
      const error = await new Promise<Error | null>((resolve) =>
        new EgressGuard().lookup(name, { all: true }, (err) => resolve(err)),
      )
      expect(error).toBeInstanceOf(EgressRefused)
    },
  )
})
