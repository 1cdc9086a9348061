import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/gateway-process.js'
import { runCli, tempDir } from './run-cli.js'

/** `doctor` (exit 1 with what to fix) and the CLI's exit codes for usage errors (2). */

interface DoctorReport {
  ok: boolean
  checks: { name: string; status: string; message: string; fix?: string }[]
}

describe('doctor', () => {
  const cwd = tempDir()
  afterAll(() => cwd.remove())

  it('passes on a migrated SQLite database with a free port', async () => {
    const env = {
      DATABASE_URL: `sqlite:${join(cwd.path, 'data', 'ok.db')}`,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    }
    const migrated = await runCli(['migrate'], { cwd: cwd.path, env })
    expect(migrated.code, migrated.stderr).toBe(0)
    const result = await runCli(['doctor'], { cwd: cwd.path, env })
    expect(result.code, result.stdout).toBe(0)
    expect(result.stdout).toMatch(/^ok +database +sqlite:.*ok\.db is reachable/m)
    expect(result.stdout).toMatch(/^ok +disk +[\d.]+ GiB free/m)
    expect(result.stdout).toMatch(/^ok +port +127\.0\.0\.1:\d+ is free/m)
    expect(result.stdout).toMatch(/^info +admin API +disabled/m)
    expect(result.stdout).toContain('Nothing to fix.')
  })

  it('fails with a sentence when DATABASE_URL points at nothing', async () => {
    const env = { DATABASE_URL: `postgres://gateway:secret@127.0.0.1:${await freePort()}/gateway`, PORT: '0' }
    const result = await runCli(['doctor', '--json'], { cwd: cwd.path, env })
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout) as DoctorReport
    expect(report.ok).toBe(false)
    const database = report.checks.find((c) => c.name === 'database')!
    expect(database.status).toBe('fail')
    expect(database.message).toMatch(
      /cannot use postgres:\/\/gateway:\*\*\*@127\.0\.0\.1:\d+\/gateway: .*ECONNREFUSED/,
    )
    expect(database.message).not.toContain('secret')
    expect(database.fix).toMatch(/check DATABASE_URL/)

    const text = await runCli(['doctor'], { cwd: cwd.path, env })
    expect(text.code).toBe(1)
    expect(text.stdout).toMatch(/^FAIL +database/m)
    expect(text.stdout).toMatch(/→ check DATABASE_URL/)
    expect(text.stdout).toMatch(/1 problem to fix/)
  })

  it('fails on a database that is not migrated, on bad settings and on untrusted key entries', async () => {
    const empty = join(cwd.path, 'empty.db')
    writeFileSync(empty, '')
    const notMigrated = await runCli(['doctor', '--json'], {
      cwd: cwd.path,
      env: { DATABASE_URL: `sqlite:${empty}`, PORT: '0' },
    })
    expect(notMigrated.code).toBe(1)
    const check = (JSON.parse(notMigrated.stdout) as DoctorReport).checks.find((c) => c.name === 'database')!
    expect(check).toMatchObject({ status: 'fail', fix: expect.stringMatching(/ghl-gateway migrate/) })

    const badEnv = await runCli(['doctor', '--json'], {
      cwd: cwd.path,
      env: { PORT: 'eighty', GHL_ED25519_PUBLIC_KEYS: 'not-a-key', GHL_SIGNATURE_MODE: 'off' },
    })
    expect(badEnv.code).toBe(1)
    const checks = (JSON.parse(badEnv.stdout) as DoctorReport).checks
    expect(checks.find((c) => c.name === 'config')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/PORT/),
    })
    expect(checks.find((c) => c.name === 'keys')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/GHL_ED25519_PUBLIC_KEYS entry 1/),
    })
    expect(checks.find((c) => c.name === 'signatures')).toMatchObject({ status: 'warn' })
  })
})

describe('exit codes', () => {
  const cwd = tempDir()
  afterAll(() => cwd.remove())
  const cli = (...args: string[]) => runCli(args, { cwd: cwd.path })

  it('usage errors exit 2 with the reason', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['send', 'ContactCreate', '--count', '0'], /--count.*must be a whole number/],
      [['send', 'ContactCreat'], /unknown event "ContactCreat"; did you mean ContactCreate\?/],
      [['send'], /name an event/],
      [['send', 'ContactCreate', '--sign', 'hmac'], /must be one of ed25519, rsa, none/],
      [['simulate', '--policy', 'ghl-2024'], /must be one of ghl-2026, ghl-2025, none/],
      [['simulate', '--mix', 'contacts=10'], /"contacts" is neither an event nor a category/],
      [['events', 'list', '--since', 'yesterday'], /--since.*ISO time/],
      [['events'], /Usage: ghl-gateway events/],
      [['serve', '--port', '99999'], /must be a port number/],
    ]
    for (const [args, message] of cases) {
      const result = await cli(...args)
      expect({ args, code: result.code }).toEqual({ args, code: 2 })
      expect(result.stderr).toMatch(message)
    }
  })

  it('a missing signing key is one sentence saying to run keys generate (exit 1)', async () => {
    const result = await cli('send', 'ContactCreate')
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe(
      'ghl-gateway: no signing key at .ghl-gateway/keys/ed25519.pem; run `ghl-gateway keys generate` first (or pass --key <file>, or --sign none)',
    )
  })

  it('--help and --version exit 0; every command’s help has examples and its environment', async () => {
    expect((await cli('--version')).code).toBe(0)
    expect((await cli('--help')).code).toBe(0)
    const commands = [
      ['serve'],
      ['migrate'],
      ['keys', 'generate'],
      ['keys', 'env'],
      ['send'],
      ['simulate'],
      ['events', 'list'],
      ['events', 'show'],
      ['events', 'export'],
      ['doctor'],
    ]
    await Promise.all(
      commands.map(async (command) => {
        const help = await cli(...command, '--help')
        expect(help.code).toBe(0)
        expect(help.stdout, command.join(' ')).toMatch(/Examples:\n {2}\$ ghl-gateway/)
        expect(help.stdout, command.join(' ')).toMatch(/^Environment: /m)
      }),
    )
  })
})
