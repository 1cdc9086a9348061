import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../config/index.js'
import { ConfigError } from '../config-error.js'
import { destinationSchema } from './schema.js'

/** The config file's `destinations:` and `egress:`, as a user writes them. */

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const dirs: string[] = []
const configFile = (text: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-config-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'ghl-gateway.config.yaml'), text)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('destinations in the config file', () => {
  it('reads the issue example (with the env references quoted, as YAML requires inside { })', () => {
    const cwd = configFile(`
destinations:
  - id: crm-sync
    url: https://crm.internal/hooks/ghl
    events: [contact.*, opportunity.stage_changed]
    filter: { locationId: [loc_123], "data.tags": { contains: vip } }
    payload: envelope            # envelope | raw | template
    auth: { type: bearer, token: "\${CRM_TOKEN}" }
    signing: { secrets: ["\${CRM_WHSEC}"] }
    rateLimit: { perSecond: 20, concurrency: 4 }
    retry: { maxAttempts: 12, maxAge: 24h }
egress:
  allow: [10.0.0.0/8, hooks.internal]
`)
    const config = loadConfig({
      env: { CRM_TOKEN: 'tok', CRM_WHSEC: SECRET, EGRESS_ALLOW: '127.0.0.1, *.corp.example' },
      cwd,
    })
    expect(config.file.destinations).toEqual([
      {
        id: 'crm-sync',
        url: 'https://crm.internal/hooks/ghl',
        events: ['contact.*', 'opportunity.stage_changed'],
        filter: { locationId: ['loc_123'], 'data.tags': { contains: 'vip' } },
        payload: 'envelope',
        method: 'POST',
        headers: {},
        contentType: 'json',
        auth: { type: 'bearer', token: 'tok' },
        signing: { secrets: [SECRET] },
        rateLimit: { perSecond: 20, concurrency: 4 },
        retry: { maxAttempts: 12, maxAge: 86_400_000 },
        timeout: 15_000,
        responseBodyBytes: 4096,
        circuitBreaker: {
          failureRate: 1,
          window: 300_000,
          minAttempts: 20,
          cooldown: 30_000,
          maxCooldown: 600_000,
        },
        enabled: true,
      },
    ])
    expect(config.file.egress.allow).toEqual(['10.0.0.0/8', 'hooks.internal'])
    expect(config.EGRESS_ALLOW).toEqual(['127.0.0.1', '*.corp.example'])
  })

  it('says how to fix an unquoted env reference inside { }', () => {
    const cwd = configFile(
      `destinations:\n  - { id: a, url: https://x.example, events: ["*"], auth: { type: bearer, token: \${T} } }\n`,
    )
    expect(() => loadConfig({ env: { T: 'x' }, cwd })).toThrow(/must be quoted: "\$\{NAME\}"/)
  })

  it('names every mistake with its path, and refuses duplicate ids and bad egress entries', () => {
    const cwd = configFile(`
destinations:
  - id: a
    url: https://a.example
    events: ["*"]
    timout: 5s
    signing: { secrets: [not-a-secret] }
    retry: { minDelay: 10m, maxDelay: 1m }
  - { id: a, url: https://b.example, events: ["*"], method: TRACE }
egress: { allow: ["10.0.0.0/33"] }
`)
    let message = ''
    try {
      loadConfig({ env: {}, cwd })
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      message = (error as Error).message
    }
    expect(message).toContain('destinations.0: unknown key "timout"; did you mean "timeout"?')
    expect(message).toContain(
      'destinations.0.signing.secrets.0: must be "whsec_" followed by base64 key bytes',
    )
    expect(message).toContain('destinations.1.method')
    expect(message).toContain('egress.allow.0: "10.0.0.0/33" is not a host name')
    expect(() => loadConfig({ env: { EGRESS_ALLOW: 'not a host!' }, cwd: '/nonexistent' })).toThrow(
      /EGRESS_ALLOW/,
    )
  })

  it('checks combinations', () => {
    const base = { id: 'x', url: 'https://x.example/h', events: ['*'] }
    const issues = (doc: Record<string, unknown>) =>
      destinationSchema
        .safeParse({ ...base, ...doc })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(issues({ payload: 'template' })).toEqual(['template: payload: template needs a template'])
    expect(issues({ template: { a: 1 } })).toEqual(['template: template is used only with payload: template'])
    expect(issues({ payload: 'raw', contentType: 'form' })?.[0]).toMatch(
      /^contentType: payload: raw sends the original bytes/,
    )
    expect(issues({ retry: { minDelay: '10m', maxDelay: '1m' } })).toEqual([
      'retry: retry.maxDelay must not be less than retry.minDelay',
    ])
    expect(issues({ rateLimit: { burst: 3 } })).toEqual(['rateLimit.burst: burst needs perSecond'])
    expect(issues({ url: 'https://user:pw@x.example' })?.[0]).toMatch(/^url: put credentials in auth/)
    expect(issues({ headers: { 'X-Gateway-Attempt': '1', 'Webhook-Signature': 'x' } })).toHaveLength(2)
    expect(issues({ filter: { email: 'x' } })?.[0]).toMatch(/^filter.email: filter keys are locationId/)
    expect(issues({ headers: { 'X-Team': 'a' }, publicHeaders: ['X-Team', 'X-Other'] })).toEqual([
      'publicHeaders.1: x-other is not one of headers; list only headers this destination sets',
    ])
    expect(issues({ circuitBreaker: false, timeout: 2, method: 'patch' })).toBeUndefined()
    expect(destinationSchema.parse({ ...base, timeout: 2, method: 'patch' })).toMatchObject({
      timeout: 2000,
      method: 'PATCH',
    })
  })
})
