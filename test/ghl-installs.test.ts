import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { GhlRateLimitedError, GhlReauthRequiredError } from '../src/ghl/errors.js'
import { assembleForTest, type TestAssembly } from './support/assembly.js'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'

/**
 * The install flow against a fake GHL and real databases: /oauth/install sends the admin to GHL
 * with a state this gateway signed, /oauth/callback exchanges the code, stores the tokens under the
 * owner GHL's userType names, records the installation and answers a page; a bulk install records
 * the agency's locations, whose tokens are minted from the agency token when first needed; every
 * failure is a catalog error shown as a page.
 */

const APP = 'app_inst'
const KEY = randomBytes(32).toString('base64')

describe.each(['sqlite', 'postgres'] as const)('GHL installs: %s', (kind) => {
  let fake: FakeGhl
  let gateway: TestAssembly | undefined
  const env = (more: Record<string, string> = {}) => ({
    GHL_CLIENT_ID: fake.clientId,
    GHL_CLIENT_SECRET: fake.clientSecret,
    GHL_API_URL: fake.url,
    GHL_TOKEN_KEY: KEY,
    GHL_APP_ID: APP,
    GHL_SCOPES: 'contacts.readonly, contacts.write',
    GHL_REDIRECT_URI: 'https://gw.example/oauth/callback',
    ...more,
  })
  const open = async (more: Record<string, string> = {}) => {
    gateway = await assembleForTest(kind, env(more))
    return gateway
  }
  const get = (url: string) => gateway!.app.fastify.inject({ method: 'GET', url })
  /** The state /oauth/install put into GHL's URL. */
  const installState = async () => {
    const answer = await get('/oauth/install')
    expect(answer.statusCode).toBe(302)
    return new URL(answer.headers.location as string).searchParams.get('state')!
  }

  beforeAll(async () => {
    fake = await startFakeGhl()
  })
  afterAll(() => fake.close())
  afterEach(async () => {
    await gateway?.close()
    gateway = undefined
  })

  it('/oauth/install sends the admin to GHL’s choose-location page with the app, scopes, redirect URI and a state', async () => {
    await open()
    const answer = await get('/oauth/install')
    expect(answer.statusCode).toBe(302)
    const url = new URL(answer.headers.location as string)
    expect(`${url.origin}${url.pathname}`).toBe('https://marketplace.gohighlevel.com/v2/oauth/chooselocation')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      redirect_uri: 'https://gw.example/oauth/callback',
      client_id: fake.clientId,
      scope: 'contacts.readonly contacts.write',
      state: expect.stringMatching(/^v1\./),
    })
  })

  it('a location install: the callback stores the Location token, records the installation and says so on a page', async () => {
    const { store, ghlTokens } = await open()
    const state = await installState()
    const code = fake.authorize({ userType: 'Location', ownerId: 'loc_1', companyId: 'comp_1' })
    const answer = await get(`/oauth/callback?code=${code}&state=${encodeURIComponent(state)}`)
    expect(answer.statusCode).toBe(200)
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'")
    expect(answer.body).toContain('The app is installed on location loc_1.')
    const owner = { appId: APP, userType: 'Location' as const, ownerId: 'loc_1' }
    expect(await store.getGhlToken(owner)).toMatchObject({ status: 'active', companyId: 'comp_1' })
    expect(await store.getGhlInstallation(owner)).toMatchObject({
      companyId: 'comp_1',
      bulk: false,
      uninstalledAt: null,
      token: { status: 'active', scopes: 'contacts.readonly contacts.write' },
    })
    expect(await ghlTokens!.accessToken('loc_1')).toBe(fake.current('loc_1')!.accessToken)
    // No Company row was made up for it.
    expect(await store.getGhlToken({ ...owner, userType: 'Company', ownerId: 'comp_1' })).toBeUndefined()
  })

  it('a bulk agency install: the Company token is stored, its locations are recorded, and their tokens are minted once when first needed', async () => {
    const { store, ghlTokens } = await open()
    const locations = Array.from({ length: 130 }, (_, i) => `loc_b${String(i).padStart(3, '0')}`)
    fake.installs.setLocations('comp_b', locations)
    const code = fake.authorize({ userType: 'Company', ownerId: 'comp_b', companyId: 'comp_b', bulk: true })
    // Started from GHL's marketplace: no state at all is accepted.
    const answer = await get(`/oauth/callback?code=${code}`)
    expect(answer.statusCode, answer.body).toBe(200)
    expect(answer.body).toContain('The app is installed on agency (company) comp_b.')
    expect(answer.body).toContain('130 locations of the agency are recorded.')
    expect(fake.installs.listings).toBeGreaterThanOrEqual(2)
    expect(await store.getGhlToken({ appId: APP, userType: 'Company', ownerId: 'comp_b' })).toMatchObject({
      status: 'active',
    })
    const page = await store.listGhlInstallations({ appId: APP, limit: 200, companyId: 'comp_b' })
    expect(page.items.map((i) => i.ownerId)).toEqual(['comp_b', ...locations])
    expect(page.items.every((i) => i.bulk)).toBe(true)
    // Nothing minted yet: minted on first use, then reused.
    expect(fake.installs.mints('loc_b007')).toBe(0)
    const [first, again] = await Promise.all([
      ghlTokens!.accessToken('loc_b007'),
      ghlTokens!.accessToken('loc_b007'),
    ])
    expect(first).toBe(fake.installs.minted('loc_b007'))
    expect(again).toBe(first)
    expect(await ghlTokens!.accessToken('loc_b007')).toBe(first)
    expect(fake.installs.mints('loc_b007')).toBe(1)
    expect(await store.getGhlToken({ appId: APP, userType: 'Location', ownerId: 'loc_b007' })).toMatchObject({
      status: 'active',
      companyId: 'comp_b',
      refreshToken: null,
    })
  })

  it('an agency’s own calls (listing a bulk install, minting) count against its GHL limits', async () => {
    // Two calls per minute at most, no waiting: the third agency call is refused by the limiter.
    const { ghlTokens } = await open({
      GHL_RATE_LIMIT_BURST: '2',
      GHL_RATE_LIMIT_WINDOW: '60s',
      GHL_RATE_LIMIT_MAX_WAIT: '0s',
    })
    const locations = Array.from({ length: 250 }, (_, i) => `loc_r${String(i).padStart(3, '0')}`)
    fake.installs.setLocations('comp_r', locations)
    const listedBefore = fake.installs.listings
    const code = fake.authorize({ userType: 'Company', ownerId: 'comp_r', companyId: 'comp_r', bulk: true })
    const answer = await get(`/oauth/callback?code=${code}`)
    expect(answer.statusCode, answer.body).toBe(200)
    // Pages 1 and 2 went; the third (of 250 at 100 per page) was not sent to GHL.
    expect(fake.installs.listings - listedBefore).toBe(2)
    expect(answer.body).toContain('200 locations of the agency are recorded so far')
    await expect(ghlTokens!.accessToken('loc_r007')).rejects.toThrow(GhlRateLimitedError)
    expect(fake.installs.mints('loc_r007')).toBe(0)
  })

  it('a minted location token that expires is minted again from the agency token', async () => {
    const { store, ghlTokens } = await open()
    fake.installs.setLocations('comp_e', ['loc_e'])
    await get(
      `/oauth/callback?code=${fake.authorize({ userType: 'Company', ownerId: 'comp_e', companyId: 'comp_e', bulk: true })}`,
    )
    const first = await ghlTokens!.accessToken('loc_e')
    const owner = { appId: APP, userType: 'Location' as const, ownerId: 'loc_e' }
    const row = (await store.getGhlToken(owner))!
    await store.putGhlToken(owner, { ...row, expiresAt: Date.now() + 1000 }, Date.now())
    const second = await ghlTokens!.accessToken('loc_e')
    expect(second).not.toBe(first)
    expect(second).toBe(fake.installs.minted('loc_e'))
    expect(fake.installs.mints('loc_e')).toBe(2)
  })

  it('refuses a state it did not sign, before anything is exchanged', async () => {
    const { store } = await open()
    const code = fake.authorize({ ownerId: 'loc_s' })
    const forged = `v1.${Date.now().toString(36)}.${'A'.repeat(16)}.${'B'.repeat(43)}`
    for (const state of [forged, 'nonsense']) {
      const answer = await get(`/oauth/callback?code=${code}&state=${state}`)
      expect(answer.statusCode).toBe(400)
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(answer.body).toContain('ghl_install_state_invalid')
      expect(answer.body).toContain('the install link was not made by this gateway')
    }
    expect(
      await store.getGhlInstallation({ appId: APP, userType: 'Location', ownerId: 'loc_s' }),
    ).toBeUndefined()
    // The code was not spent: the right state still installs.
    const good = await get(`/oauth/callback?code=${code}&state=${encodeURIComponent(await installState())}`)
    expect(good.statusCode).toBe(200)
  })

  it('a state minted by another app’s secret is refused too', async () => {
    await open()
    const state = await installState()
    await gateway!.close()
    gateway = undefined
    await open({ GHL_CLIENT_SECRET: 'another-secret' })
    const answer = await get(`/oauth/callback?code=${fake.authorize({ ownerId: 'loc_x' })}&state=${state}`)
    expect(answer.statusCode).toBe(400)
    expect(answer.body).toContain('ghl_install_state_invalid')
  })

  it('a missing code, a code GHL refuses and unreachable settings are pages with catalog codes, GHL’s words escaped', async () => {
    await open()
    const missing = await get(
      '/oauth/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
    )
    expect(missing.statusCode).toBe(400)
    expect(missing.body).toContain('ghl_install_code_missing')
    expect(missing.body).not.toContain('<script>')
    expect(missing.body).toContain('&#60;script&#62;')

    const code = fake.authorize({ ownerId: 'loc_r' })
    expect((await get(`/oauth/callback?code=${code}`)).statusCode).toBe(200)
    const reused = await get(`/oauth/callback?code=${code}`)
    expect(reused.statusCode).toBe(400)
    expect(reused.body).toContain('ghl_install_code_rejected')

    fake.fault({ kind: 'status', status: 503 })
    const down = await get(`/oauth/callback?code=${fake.authorize({ ownerId: 'loc_d' })}`)
    expect(down.statusCode).toBe(503)
    expect(down.headers['retry-after']).toBe('5')
    expect(down.body).toContain('ghl_unavailable')
  })

  it('wrong client credentials: ghl_install_refused; no GHL_SCOPES: /oauth/install says what to set', async () => {
    await open({ GHL_CLIENT_SECRET: 'wrong', GHL_SCOPES: '' })
    const refused = await get(`/oauth/callback?code=${fake.authorize({ ownerId: 'loc_w' })}`)
    expect(refused.statusCode).toBe(502)
    expect(refused.body).toContain('ghl_install_refused')
    const install = await get('/oauth/install')
    expect(install.statusCode).toBe(503)
    expect(install.body).toContain('set GHL_SCOPES')
  })

  it('without a GHL app there are no install routes', async () => {
    gateway = await assembleForTest(kind, { ADMIN_TOKEN: 'admin-token-admin-token' })
    expect((await get('/oauth/install')).statusCode).toBe(404)
    expect((await get('/oauth/callback?code=x')).statusCode).toBe(404)
    const api = await gateway.app.fastify.inject({
      method: 'GET',
      url: '/api/installs',
      headers: { authorization: 'Bearer admin-token-admin-token' },
    })
    expect(api.statusCode).toBe(404)
    expect(api.json().error.message).toMatch(/^no GHL app is configured/)
  })

  it('a location with no token and no agency token to mint from is not installed; a revoked one needs re-auth', async () => {
    const { store, ghlTokens } = await open()
    await expect(ghlTokens!.accessToken('loc_none')).rejects.toThrow(
      /no GHL token is stored for location loc_none/,
    )
    await store.recordGhlInstall(
      { appId: APP, userType: 'Location', ownerId: 'loc_none' },
      { companyId: 'comp_none', bulk: true },
      Date.now(),
    )
    await expect(ghlTokens!.accessToken('loc_none')).rejects.toThrow(/no GHL token is stored/)
    await get(`/oauth/callback?code=${fake.authorize({ ownerId: 'loc_rv' })}`)
    await store.setGhlTokenStatus(
      { appId: APP, userType: 'Location', ownerId: 'loc_rv' },
      'revoked',
      'uninstalled',
      Date.now(),
    )
    await expect(ghlTokens!.accessToken('loc_rv')).rejects.toBeInstanceOf(GhlReauthRequiredError)
  })
})
