import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../config-error.js'
import type { Env } from '../env-substitution.js'
import { loadConfig } from './index.js'

/**
 * What a new user gets wrong at boot: misspelt keys anywhere in the config file, event patterns that
 * can never match, a DATABASE_URL or TRUST_PROXY in the wrong form — each stops the gateway with a
 * sentence; and settings that are valid but unsafe or doubtful, which are warnings.
 */

const dirs: string[] = []
const withConfig = (yaml: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-load-config-'))
  dirs.push(dir)
  writeFileSync(join(dir, 'ghl-gateway.config.yaml'), yaml)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const failure = (yaml: string, env: Env = {}): string => {
  try {
    loadConfig({ env: { SECRET: 'a-shared-secret', ...env }, cwd: withConfig(yaml) })
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as Error).message
  }
  throw new Error('the config loaded')
}

const HMAC = `verify: { scheme: hmac-sha256, header: X-Signature, secrets: ["\${SECRET}"] }`

describe('a misspelt config key stops the gateway with its path and the nearest key', () => {
  it.each([
    [
      'top level',
      'destinatons:\n  - { id: crm, url: "https://crm.example/hook", events: ["*"] }',
      'unknown key "destinatons"; did you mean "destinations"?',
    ],
    [
      'a source',
      `sources:\n  - id: billing\n    ${HMAC}\n    idHeadr: X-Event-Id`,
      'sources.0: unknown key "idHeadr"; did you mean "idHeader"?',
    ],
    [
      'a verify block',
      `sources:\n  - id: billing\n    verify: { scheme: hmac-sha256, header: X-Signature, secrets: ["\${SECRET}"], timestampHeadr: X-Timestamp }`,
      'sources.0.verify: unknown key "timestampHeadr"; did you mean "timestampHeader"?',
    ],
    [
      'a secret with an id',
      `sources:\n  - id: billing\n    verify: { scheme: token, tokens: [{ id: k1, vaule: "\${SECRET}" }] }`,
      'sources.0.verify.tokens.0: unknown key "vaule"; did you mean "value"?',
    ],
    ['egress', 'egress: { alow: [10.0.0.0/8] }', 'egress: unknown key "alow"; did you mean "allow"?'],
    [
      'a destination',
      'destinations:\n  - { id: crm, url: "https://crm.example/hook", evnts: ["*"], events: ["*"] }',
      'destinations.0: unknown key "evnts"; did you mean "events"?',
    ],
  ])('%s', (_where, yaml, sentence) => {
    expect(failure(yaml)).toContain(sentence)
  })

  it('lists the keys when nothing is close', () => {
    expect(failure('sources: []\nzzz: 1')).toContain(
      'unknown key "zzz"; the keys here are sources, renames, destinations, egress',
    )
  })
})

describe("a destination's event pattern that can never match stops the gateway", () => {
  const destination = (events: string, extra = '') =>
    `destinations:\n  - { id: crm, url: "https://crm.example/hook", events: ${events}${extra} }`

  it.each([
    [
      '[contact.creatd]',
      'destinations.0.events.0: "contact.creatd" matches no event; did you mean "contact.created"?',
    ],
    [
      '["*", ContactCreat]',
      'destinations.0.events.1: "ContactCreat" matches no event; did you mean "ContactCreate"?',
    ],
    ['[contacts.*]', '"contacts.*" matches no event; did you mean "contact.*"?'],
    ['[unknwn]', '"unknwn" matches no event; did you mean "unknown"?'],
  ])('%s', (events, sentence) => {
    expect(failure(destination(events))).toContain(sentence)
  })

  it('with renames, the renamed types and their wildcards are names too', () => {
    const renames = 'renames:\n  contact.created: myapp.contact.ingested\n'
    expect(failure(renames + destination('[myapp.contact.ingestd]'))).toContain(
      'did you mean "myapp.contact.ingested"?',
    )
    const cwd = withConfig(
      renames + destination('[myapp.contact.ingested, myapp.*, myapp.contact.*, contact.created]'),
    )
    expect(loadConfig({ env: {}, cwd }).file.destinations[0]!.events).toHaveLength(4)
  })

  it("accepts another source's own types: far from every name, or when the destination leaves out ghl", () => {
    const cwd = withConfig(
      `sources:\n  - id: billing\n    ${HMAC}\n` +
        'destinations:\n' +
        '  - { id: a, url: "https://a.example/hook", events: [payment_intent.succeeded, charge.refunded] }\n' +
        '  - { id: b, url: "https://b.example/hook", events: [contact.creatd], sources: [billing] }\n',
    )
    expect(loadConfig({ env: { SECRET: 's' }, cwd }).file.destinations).toHaveLength(2)
    expect(
      failure(
        `sources:\n  - id: billing\n    ${HMAC}\n` +
          destination('[contact.creatd]', ', sources: [billing, ghl]'),
      ),
    ).toContain('did you mean "contact.created"?')
  })
})

describe('environment values in the wrong form', () => {
  const envFailure = (env: Env) => {
    try {
      loadConfig({ env, cwd: tmpdir() })
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      return (error as Error).message
    }
    throw new Error('the config loaded')
  }

  it('a DATABASE_URL that is a bare path is quoted back with what to write instead', () => {
    expect(envFailure({ DATABASE_URL: './data/other.db' })).toBe(
      'invalid environment: DATABASE_URL must be sqlite:<path> or postgres://user:pass@host:5432/db ' +
        '(got "./data/other.db"); for a SQLite file write sqlite:./data/other.db',
    )
  })

  it('a DATABASE_URL of another database names it, without its password', () => {
    const message = envFailure({ DATABASE_URL: 'mysql://app:hunter2@db/app' })
    expect(message).toContain(
      '(got "mysql://app:***@db/app"); mysql: is not supported: use SQLite or PostgreSQL',
    )
    expect(message).not.toContain('hunter2')
  })

  it('a number, a choice or a duration names the variable, what it takes and the text as typed', () => {
    expect(envFailure({ PORT: 'eighty' })).toBe(
      'invalid environment: PORT must be an integer from 0 to 65535 (got "eighty")',
    )
    expect(envFailure({ PG_POOL_SIZE: '0' })).toContain(
      'PG_POOL_SIZE must be an integer from 1 to 1000 (got "0")',
    )
    expect(envFailure({ ROLE: ' Wrker ' })).toContain(
      'ROLE must be one of all, ingest, worker (got " Wrker ")',
    )
    expect(envFailure({ SHUTDOWN_TIMEOUT: 'soon' })).toContain(
      'SHUTDOWN_TIMEOUT must be a duration such as 30s, 5m or 24h (got "soon")',
    )
    expect(envFailure({ REQUEST_TIMEOUT: '2h' })).toContain(
      'REQUEST_TIMEOUT must be from 100ms to 1h (got 2h)',
    )
    expect(envFailure({ CONSOLE_SESSION_TTL: '30s' })).toContain(
      'CONSOLE_SESSION_TTL must be from 1m to 30d (got 30s)',
    )
    expect(envFailure({ RETENTION: 'never' })).toContain(
      'RETENTION must be "off" or a duration such as 30d (got "never")',
    )
  })

  it('blank is unset; choices ignore case; off and 0 turn a duration off', () => {
    const config = (env: Env) => loadConfig({ env, cwd: tmpdir() })
    expect(config({ PORT: ' ', ROLE: '', RETENTION: ' ', GHL_TIMESTAMP_WINDOW: '' })).toMatchObject({
      CONSOLE_SESSION_TTL: 12 * 3_600_000,
      PORT: 3000,
      ROLE: 'all',
      RETENTION: 30 * 86_400_000,
      GHL_TIMESTAMP_WINDOW: null,
    })
    expect(config({ PORT: '8080', ROLE: ' Worker ', DURABILITY: 'FSYNC', LOG_LEVEL: 'Debug' })).toMatchObject(
      {
        PORT: 8080,
        ROLE: 'worker',
        DURABILITY: 'fsync',
        LOG_LEVEL: 'debug',
      },
    )
    expect(config({ RETENTION: 'off', GHL_TIMESTAMP_WINDOW: '0' })).toMatchObject({
      RETENTION: null,
      GHL_TIMESTAMP_WINDOW: null,
    })
    expect(config({ RETENTION: '7d', GHL_TIMESTAMP_WINDOW: '24h', SHUTDOWN_TIMEOUT: '1500' })).toMatchObject({
      RETENTION: 7 * 86_400_000,
      GHL_TIMESTAMP_WINDOW: 86_400_000,
      SHUTDOWN_TIMEOUT: 1500,
    })
  })

  it('TRUST_PROXY names itself and what it takes', () => {
    expect(envFailure({ TRUST_PROXY: 'maybe' })).toBe(
      'invalid environment: TRUST_PROXY must be true, false, a hop count, or proxy addresses/CIDR ranges ' +
        'separated by commas (e.g. 10.0.0.0/8,loopback); not "maybe"',
    )
    expect(envFailure({ TRUST_PROXY: '10.0.0.0/33' })).toContain('not "10.0.0.0/33"')
  })

  it('TRUST_PROXY accepts what Fastify does', () => {
    const trust = (value: string) => loadConfig({ env: { TRUST_PROXY: value }, cwd: tmpdir() }).TRUST_PROXY
    expect(trust('')).toBe(false)
    expect(trust('false')).toBe(false)
    expect(trust('TRUE')).toBe(true)
    expect(trust('2')).toBe(2)
    expect(trust('10.0.0.0/8, 127.0.0.1, loopback, fd00::/8')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      'loopback',
      'fd00::/8',
    ])
  })
})

describe('boot warnings', () => {
  const warnings = (env: Env, yaml = '') =>
    loadConfig({ env: { SECRET: 's', ...env }, cwd: yaml ? withConfig(yaml) : tmpdir() }).warnings

  it('GHL_SIGNATURE_MODE=off', () => {
    expect(warnings({ GHL_SIGNATURE_MODE: ' OFF ' })).toEqual([
      expect.objectContaining({
        topic: 'signatures',
        message: expect.stringMatching(/^GHL_SIGNATURE_MODE=off: /),
      }),
    ])
    expect(warnings({ GHL_SIGNATURE_MODE: 'require' })).toEqual([])
  })

  it('an HMAC source whose id header is unsigned and which signs no timestamp can be replayed as new events', () => {
    const source = (extra: string) => `sources:\n  - id: billing\n    ${HMAC}\n${extra}`
    expect(warnings({}, source('    idHeader: X-Event-Id\n'))).toEqual([
      {
        topic: 'sources',
        message:
          'source billing takes its event id from the x-event-id header, which its HMAC does not sign, and signs ' +
          'no timestamp: a captured request sent again with a new x-event-id is accepted as a new event',
        fix: 'sign a timestamp (timestampHeader, checked ±5 min), or take the id from the signed body (idField instead of idHeader)',
      },
    ])
    // The safe settings: a signed timestamp, or an id inside the signed body, or no id (body hash).
    const timestamped = `sources:\n  - id: billing\n    verify: { scheme: hmac-sha256, header: X-Signature, secrets: ["\${SECRET}"], timestampHeader: X-Timestamp }\n    idHeader: X-Event-Id\n`
    expect(warnings({}, timestamped)).toEqual([])
    expect(warnings({}, source('    idField: id\n'))).toEqual([])
    expect(warnings({}, source(''))).toEqual([])
    const stripe = `sources:\n  - id: stripe\n    verify: { scheme: hmac-sha256, style: stripe, header: Stripe-Signature, secrets: ["\${SECRET}"] }\n    idHeader: X-Event-Id\n`
    expect(warnings({}, stripe)).toEqual([])
  })

  it('a source without verification', () => {
    expect(warnings({}, 'sources:\n  - { id: forms, verify: { scheme: none } }')).toEqual([
      expect.objectContaining({
        topic: 'sources',
        message: expect.stringContaining('anyone who knows its URL'),
      }),
    ])
  })

  it('a variable that starts like ours and is a few edits from one of ours', () => {
    expect(warnings({ WORKER_CONCURENCY: '4', GHL_SIGNATURE_MOD: 'off', PG_POOLSIZE: '3' })).toEqual([
      expect.objectContaining({
        topic: 'variables',
        message:
          'WORKER_CONCURENCY is not a ghl-gateway setting and is ignored; did you mean "WORKER_CONCURRENCY"?',
      }),
      expect.objectContaining({ message: expect.stringContaining('did you mean "GHL_SIGNATURE_MODE"?') }),
      expect.objectContaining({ message: expect.stringContaining('did you mean "PG_POOL_SIZE"?') }),
    ])
    expect(warnings({ CONSOLE_SESION_TTL: '1h' })).toEqual([
      expect.objectContaining({ message: expect.stringContaining('did you mean "CONSOLE_SESSION_TTL"?') }),
    ])
    // Someone else's variables: other prefixes, or far from every name of ours.
    expect(
      warnings({
        HOME: '/root',
        HOSTNAME: 'x',
        GHL_API_KEY: 'k',
        GHL_LOCATION_ID: 'loc',
        GHL_SIGNING_KEY: 'k.pem',
      }),
    ).toEqual([])
  })
})
