import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../../test/support/databases.js'
import { type FakeGhl, startFakeGhl } from '../../test/support/fake-ghl.js'
import { createLogger } from '../observe/logger.js'
import { openStore } from '../store/open-store.js'
import type { GhlTokenOwner, Store } from '../store/types.js'
import { GhlApi, type GhlCallRecord, retryAfterMs } from './api-client.js'
import { GhlApiPermanentError, GhlApiRetryableError, GhlRateLimitedError } from './errors.js'
import { createGhlOAuthClient, type GhlOAuthClient } from './oauth-client.js'
import type { GhlRateLimiter } from './rate-limiter.js'
import { parseTokenKeys } from './token-keys.js'
import { GhlTokens } from './tokens.js'

/** The API client against the fake GHL on one SQLite file: the limiter contract, errors, timeouts. */

let fake: FakeGhl
let store: Store
let oauth: GhlOAuthClient
let tokens: GhlTokens
let file: ReturnType<typeof freshSqliteFile>
const apis: GhlApi[] = []

beforeEach(async () => {
  fake = await startFakeGhl()
  file = freshSqliteFile()
  store = openStore({ url: file.url })
  await store.migrate()
  const keys = parseTokenKeys(randomBytes(32).toString('base64'))
  if ('problem' in keys) throw new Error(keys.problem)
  oauth = createGhlOAuthClient({ apiUrl: fake.url, clientId: fake.clientId, clientSecret: fake.clientSecret })
  tokens = new GhlTokens({ store, keys, oauth, appId: 'app', logger: createLogger({ level: 'silent' }) })
  const grant = await oauth.exchangeCode(fake.authorize({ ownerId: 'loc_1' }), {})
  await tokens.saveGrant(tokens.owner('loc_1'), grant)
})

afterEach(async () => {
  for (const api of apis.splice(0)) await api.close()
  await oauth.close()
  await store.close()
  await fake.close()
  file.remove()
})

const apiWith = (options: Partial<ConstructorParameters<typeof GhlApi>[0]> = {}) => {
  const api = new GhlApi({ apiUrl: `${fake.url}/`, tokens, ...options })
  apis.push(api)
  return api
}

describe('GhlApi', () => {
  it('asks the limiter before every request and tells it every answer (the 401 retry included)', async () => {
    const seen: string[] = []
    const limiter: GhlRateLimiter = {
      acquire: async (owner: GhlTokenOwner) => void seen.push(`acquire ${owner.ownerId}`),
      observe: (_owner, status, headers) => void seen.push(`observe ${status} ${headers['x-ratelimit-max']}`),
    }
    fake.api.fault({ kind: 'status', status: 401 })
    const calls: GhlCallRecord[] = []
    const client = apiWith({ limiter }).for('loc_1', { onCall: (call) => calls.push(call) })
    const note = await client.contacts.addNote('c1', { body: 'hi', userId: 'u1' })
    expect(note).toMatchObject({ body: 'hi', userId: 'u1', contactId: 'c1' })
    expect(seen).toEqual(['acquire loc_1', 'observe 401 undefined', 'acquire loc_1', 'observe 201 100'])
    expect(calls.map((c) => [c.status, c.operation, c.version])).toEqual([
      [401, 'contacts.addNote', '2021-07-28'],
      [201, 'contacts.addNote', '2021-07-28'],
    ])
  })

  it('a limiter that refuses: GhlRateLimitedError and nothing sent', async () => {
    const limiter: GhlRateLimiter = {
      acquire: async () => {
        throw new GhlRateLimitedError('100 calls in the last 10 s', 4200, 'burst')
      },
      observe: () => {},
    }
    await expect(apiWith({ limiter }).for('loc_1').contacts.get('c1')).rejects.toMatchObject({
      name: 'GhlRateLimitedError',
      retryAfterMs: 4200,
    })
    expect(fake.api.log).toHaveLength(0)
  })

  it('429 → GhlRateLimitedError with the window GHL names; 5xx retryable; 4xx permanent with GHL message', async () => {
    const client = apiWith().for('loc_1')
    fake.api.fault(
      { kind: 'status', status: 429 },
      { kind: 'status', status: 503 },
      { kind: 'status', status: 422, body: { statusCode: 422, message: ['title must be a string'] } },
    )
    const limited = await client.contacts.get('c1').catch((error: unknown) => error)
    expect(limited).toBeInstanceOf(GhlRateLimitedError)
    expect(limited).toMatchObject({ retryAfterMs: 10_000, window: 'burst' })
    await expect(client.contacts.get('c1')).rejects.toBeInstanceOf(GhlApiRetryableError)
    const refused = await client.contacts
      .createTask('c1', { title: 't', dueDate: '2026-01-01T00:00:00Z' })
      .catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(GhlApiPermanentError)
    expect(refused).toMatchObject({
      status: 422,
      ghlMessage: 'title must be a string',
      method: 'POST',
      path: '/contacts/c1/tasks',
    })
    fake.api.setDailyLimit(2) // the injected 429 counted one
    await client.contacts.get('c1')
    await expect(client.contacts.get('c1')).rejects.toMatchObject({
      name: 'GhlRateLimitedError',
      window: 'daily',
    })
  })

  it('a slow answer times out, a reset connection fails, both retryable; the caller signal wins', async () => {
    const client = apiWith({ timeoutMs: 200 }).for('loc_1')
    fake.api.fault({ kind: 'slow', ms: 2000 })
    await expect(client.request({ method: 'GET', path: '/contacts/c1' })).rejects.toThrow(
      /did not answer within 200 ms \(GET \/contacts\/c1\)/,
    )
    fake.api.fault({ kind: 'reset' })
    await expect(client.request({ method: 'GET', path: '/contacts/c1' })).rejects.toBeInstanceOf(
      GhlApiRetryableError,
    )
    const abort = new AbortController()
    const reason = new Error('the handler timed out')
    fake.api.fault({ kind: 'slow', ms: 2000 })
    const pending = apiWith({ timeoutMs: 5000 }).for('loc_1', { signal: abort.signal }).contacts.get('c1')
    setTimeout(() => abort.abort(reason), 50)
    await expect(pending).rejects.toBe(reason)
  })

  it('query strings, company owners and the typed helpers reach the paths GHL documents', async () => {
    const client = apiWith().for('loc_1')
    await client.request({
      method: 'GET',
      path: '/contacts/c1',
      query: { a: 1, b: ['x', 'y'], c: undefined },
    })
    expect(fake.api.log.at(-1)).toMatchObject({ path: '/contacts/c1', query: '?a=1&b=x&b=y' })
    await client.contacts.update('c1', { firstName: 'Ada', customFields: [{ id: 'f1', field_value: 'x' }] })
    expect(await client.contacts.addTags('c1', ['a', 'b'])).toEqual(['a', 'b'])
    expect(await client.contacts.removeTags('c1', ['a'])).toEqual(['b'])
    expect((await client.contacts.get('c1')).firstName).toBe('Ada')
    expect(await client.opportunities.update('o1', { pipelineStageId: 's2', status: 'open' })).toMatchObject({
      pipelineStageId: 's2',
    })
    await client.opportunities.updateStatus('o1', 'lost', { lostReasonId: 'r1' })
    expect(fake.api.opportunity('o1')).toMatchObject({ status: 'lost', pipelineStageId: 's2' })
    expect(apiWith().owner({ companyId: 'comp_1' })).toEqual({
      appId: 'app',
      userType: 'Company',
      ownerId: 'comp_1',
    })
    await expect(client.contacts.get('')).rejects.toThrow(/must not be empty/)
    expect(fake.api.log.every((r) => r.version === '2021-07-28')).toBe(true)
  })

  it('retryAfterMs reads Retry-After (seconds or a date), else GHL’s interval, else 10 s', () => {
    expect(retryAfterMs({ 'retry-after': '3' })).toBe(3000)
    expect(retryAfterMs({ 'retry-after': new Date(61_000).toUTCString() }, 1000)).toBe(60_000)
    expect(retryAfterMs({ 'x-ratelimit-interval-milliseconds': '10000' })).toBe(10_000)
    expect(retryAfterMs({})).toBe(10_000)
  })
})
