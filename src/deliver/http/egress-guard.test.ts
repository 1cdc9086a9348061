import { createServer, type Server } from 'node:http'
import type { AddressInfo, LookupFunction } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EgressGuard } from './egress-guard.js'
import { EgressRefused } from './errors.js'
import { createDeadline, HttpClient } from './http-client.js'

/** The SSRF guard: which addresses it refuses, and that the HTTP client asks it at connect time. */

describe('EgressGuard.refusal', () => {
  const guard = new EgressGuard()
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '0.0.0.0',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.254',
    '169.254.169.254',
    '169.254.1.1',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
  ])('refuses %s', (address) => {
    expect(guard.refusal(address)).toBeDefined()
  })
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '192.169.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
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
