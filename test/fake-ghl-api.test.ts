import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'

/**
 * The fake GHL's API endpoints (test/support/fake-ghl-api.ts) behave as the tests that lean on them
 * assume: bearer and Version checked, X-RateLimit-* headers, 429 beyond 100 in 10 s, faults, log.
 */

let fake: FakeGhl

beforeEach(async () => {
  fake = await startFakeGhl()
})
afterEach(async () => {
  await fake.close()
})

async function install(locationId: string): Promise<string> {
  const code = fake.authorize({ ownerId: locationId })
  const form = new URLSearchParams({
    client_id: fake.clientId,
    client_secret: fake.clientSecret,
    grant_type: 'authorization_code',
    code,
  })
  const answer = await request(`${fake.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  })
  const body = (await answer.body.json()) as { access_token: string }
  return body.access_token
}

async function call(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  token: string,
  options: { version?: string; body?: unknown } = {},
) {
  const answer = await request(`${fake.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(options.version === undefined
        ? { version: '2021-07-28' }
        : options.version
          ? { version: options.version }
          : {}),
      'content-type': 'application/json',
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  return {
    status: answer.statusCode,
    headers: answer.headers,
    body: (await answer.body.json()) as Record<string, unknown>,
  }
}

describe('fake GHL API', () => {
  it('checks the bearer token, the Version header and the location that owns a contact', async () => {
    const a = await install('loc_a')
    const b = await install('loc_b')
    expect((await call('GET', '/contacts/c1', 'nope')).status).toBe(401)
    const missing = await call('GET', '/contacts/c1', a, { version: '' })
    expect(missing.status).toBe(400)
    expect(missing.body.message).toMatch(/Version/)
    expect((await call('GET', '/contacts/c1', a, { version: '2021-04-15' })).status).toBe(400)
    const note = await call('POST', '/contacts/c1/notes', a, { body: { body: 'hello' } })
    expect(note.status).toBe(201)
    expect(fake.api.contact('c1')?.notes.map((n) => n.body)).toEqual(['hello'])
    expect((await call('GET', '/contacts/c1', b)).status).toBe(403)
    expect(fake.api.log.map((r) => [r.method, r.path, r.locationId, r.status])).toContainEqual([
      'POST',
      '/contacts/c1/notes',
      'loc_a',
      201,
    ])
  })

  it('sends X-RateLimit-* headers and answers 429 beyond 100 requests in 10 s per location', async () => {
    const a = await install('loc_a')
    const b = await install('loc_b')
    const first = await call('GET', '/contacts/c1', a)
    expect(first.headers['x-ratelimit-max']).toBe('100')
    expect(first.headers['x-ratelimit-remaining']).toBe('99')
    expect(first.headers['x-ratelimit-interval-milliseconds']).toBe('10000')
    expect(first.headers['x-ratelimit-daily-remaining']).toBe('199999')
    const statuses = []
    for (let i = 0; i < 100; i++) statuses.push((await call('GET', '/contacts/c1', a)).status)
    expect(statuses.filter((s) => s === 429)).toHaveLength(1)
    expect(fake.api.maxInWindow('loc_a')).toBe(101)
    expect(fake.api.limited('loc_a')).toBe(1)
    expect((await call('GET', '/contacts/c2', b)).status).toBe(200)
  })

  it('applies a daily limit set for the test, and injected faults in order', async () => {
    const a = await install('loc_a')
    fake.api.setDailyLimit(2)
    expect((await call('GET', '/contacts/c1', a)).status).toBe(200)
    expect((await call('GET', '/contacts/c1', a)).status).toBe(200)
    const over = await call('GET', '/contacts/c1', a)
    expect(over.status).toBe(429)
    expect(over.headers['x-ratelimit-daily-remaining']).toBe('0')
    fake.api.setDailyLimit(200_000)
    fake.api.fault({ kind: 'status', status: 503 }, { kind: 'status', status: 401 })
    expect((await call('GET', '/contacts/c1', a)).status).toBe(503)
    expect((await call('GET', '/contacts/c1', a)).status).toBe(401)
    fake.api.fault({ kind: 'reset' })
    await expect(call('GET', '/contacts/c1', a)).rejects.toThrow()
    fake.api.rejectToken(a)
    expect((await call('GET', '/contacts/c1', a)).status).toBe(401)
  })
})
