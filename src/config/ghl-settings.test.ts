import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config-error.js'
import { tokenKeyId } from '../ghl/token-keys.js'
import { envWarnings, ghlAppSettings, ghlTokenSettings, loadConfig } from './index.js'

/** The GHL app's settings: validated at boot with sentences that say what to fix, never quoting a secret. */

const KEY = randomBytes(32)
const OLD = randomBytes(32)
const APP = {
  GHL_CLIENT_ID: '65f0c0ffee12345678901234-lx0abcd1',
  GHL_CLIENT_SECRET: 'super-secret-value',
  GHL_TOKEN_KEY: KEY.toString('base64'),
}

const failure = (env: Record<string, string>): string => {
  try {
    loadConfig({ env, cwd: '/nonexistent' })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('the config loaded')
}

describe('GHL app settings', () => {
  it('none set: no app, and the gateway starts as before', () => {
    const config = loadConfig({ env: {}, cwd: '/nonexistent' })
    expect(ghlAppSettings(config)).toBeUndefined()
    expect(config.GHL_API_URL).toBe('https://services.leadconnectorhq.com')
  })

  it('a complete app: the app id is the client id before its first "-", keys by fingerprint', () => {
    const config = loadConfig({
      env: { ...APP, GHL_TOKEN_KEY: `${KEY.toString('base64')}, ${OLD.toString('base64url')}` },
      cwd: '/nonexistent',
    })
    const app = ghlAppSettings(config)!
    expect(app).toMatchObject({
      appId: '65f0c0ffee12345678901234',
      clientId: APP.GHL_CLIENT_ID,
      apiUrl: 'https://services.leadconnectorhq.com',
      redirectUri: undefined,
    })
    expect(app.keys.current.id).toBe(tokenKeyId(KEY))
    expect([...app.keys.byId.keys()]).toEqual([tokenKeyId(KEY), tokenKeyId(OLD)])
    expect(tokenKeyId(KEY)).toMatch(/^key_[0-9a-f]{12}$/)
    // Printing the settings (a log line, a debugger) shows no key bytes.
    const printed = inspect(app, { depth: 5 })
    expect(printed).not.toContain(KEY.toString('base64'))
    expect(printed).not.toContain(KEY.toString('hex'))
  })

  it('GHL_APP_ID, GHL_API_URL and GHL_REDIRECT_URI override; a trailing slash is dropped', () => {
    const config = loadConfig({
      env: {
        ...APP,
        GHL_APP_ID: 'myapp',
        GHL_API_URL: 'http://127.0.0.1:9999/',
        GHL_REDIRECT_URI: 'https://gw.example/oauth/callback',
      },
      cwd: '/nonexistent',
    })
    expect(ghlAppSettings(config)).toMatchObject({
      appId: 'myapp',
      apiUrl: 'http://127.0.0.1:9999',
      redirectUri: 'https://gw.example/oauth/callback',
    })
  })

  it.each([
    [{ GHL_CLIENT_ID: APP.GHL_CLIENT_ID, GHL_TOKEN_KEY: APP.GHL_TOKEN_KEY }, 'GHL_CLIENT_SECRET is missing'],
    [{ GHL_CLIENT_SECRET: APP.GHL_CLIENT_SECRET }, 'GHL_CLIENT_ID is missing'],
    [
      { GHL_CLIENT_ID: APP.GHL_CLIENT_ID, GHL_CLIENT_SECRET: APP.GHL_CLIENT_SECRET },
      'GHL_TOKEN_KEY is missing',
    ],
    [{ ...APP, GHL_API_URL: 'services.leadconnectorhq.com' }, 'GHL_API_URL must be an http(s) URL'],
    [{ ...APP, GHL_APP_ID: 'no spaces' }, 'GHL_APP_ID must be letters, digits'],
  ])('%j stops the gateway: %s', (env, sentence) => {
    expect(failure(env)).toContain(sentence)
  })

  it.each([
    [
      'a short key',
      randomBytes(16).toString('base64'),
      'GHL_TOKEN_KEY must be 32 random bytes in base64',
      'decodes to 16 bytes',
    ],
    [
      'a key that is not base64',
      `${'x'.repeat(40)}!!!!`,
      'GHL_TOKEN_KEY must be 32 random bytes',
      'it is not base64',
    ],
    [
      'a hex key',
      randomBytes(32).toString('hex'),
      'GHL_TOKEN_KEY must be 32 random bytes',
      'decodes to 48 bytes',
    ],
    [
      'a bad second entry',
      `${KEY.toString('base64')},${randomBytes(31).toString('base64')}`,
      'GHL_TOKEN_KEY entry 2 must be 32 random bytes',
      'decodes to 31 bytes',
    ],
    ['an empty entry', `${KEY.toString('base64')},`, 'GHL_TOKEN_KEY entry 2 is empty', 'extra comma'],
    [
      'the same key twice',
      `${KEY.toString('base64')},${KEY.toString('base64')}`,
      'entry 2 repeats',
      tokenKeyId(KEY),
    ],
  ])('%s: a sentence that names the entry and never quotes it', (_what, value, sentence, detail) => {
    const message = failure({ ...APP, GHL_TOKEN_KEY: value })
    expect(message).toContain(sentence)
    expect(message).toContain(detail)
    for (const part of value.split(',')) if (part) expect(message).not.toContain(part)
  })

  it('the client secret is never quoted, even when another setting fails', () => {
    const message = failure({ ...APP, GHL_API_URL: 'nope' })
    expect(message).not.toContain(APP.GHL_CLIENT_SECRET)
  })

  it('a misspelt GHL variable gets a did-you-mean warning', () => {
    const warnings = envWarnings({ GHL_CLIENT_SECRT: 'x', GHL_TOKEN_KEYS: 'y' })
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('did you mean "GHL_CLIENT_SECRET"?'),
      expect.stringContaining('did you mean "GHL_TOKEN_KEY"?'),
    ])
  })

  it('the token engine needs only GHL_TOKEN_KEY: Private Integration Tokens without an app, app id "private"', () => {
    expect(ghlTokenSettings(loadConfig({ env: {}, cwd: '/nonexistent' }))).toBeUndefined()
    const env = {
      GHL_TOKEN_KEY: APP.GHL_TOKEN_KEY,
      GHL_PRIVATE_TOKEN: ' pit-0123 ',
      GHL_PRIVATE_TOKEN_LOCATION_ID: 'loc_1',
    }
    const settings = ghlTokenSettings(loadConfig({ env, cwd: '/nonexistent' }))!
    expect(settings).toMatchObject({
      appId: 'private',
      app: undefined,
      envPrivateToken: { locationId: 'loc_1', token: 'pit-0123' },
      refreshIdleMs: 300 * 86_400_000,
    })
    expect(
      ghlTokenSettings(loadConfig({ env: { ...APP, GHL_APP_ID: 'myapp' }, cwd: '/nonexistent' })),
    ).toMatchObject({
      appId: 'myapp',
    })
  })

  it.each([
    [
      { ...APP, GHL_APP_ID: 'private' },
      'the GHL app id "private" is reserved for Private Integration Tokens',
    ],
    [
      { GHL_TOKEN_KEY: APP.GHL_TOKEN_KEY, GHL_REFRESH_TOKEN_MAX_IDLE: '400d' },
      'GHL_REFRESH_TOKEN_MAX_IDLE must be from 1d to 360d (got 400d)',
    ],
    [{ GHL_PRIVATE_TOKEN_LOCATION_ID: 'loc 1' }, 'GHL_PRIVATE_TOKEN_LOCATION_ID must be a GHL location id'],
  ])('refuses %o: %s', (env, message) => {
    expect(failure(env as Record<string, string>)).toContain(message)
  })
})
