import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { loadMigrations } from '../../src/store/migrations.js'
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

  it('fails while migrations are pending (says which, and to run migrate), then passes', async () => {
    // A database an older release migrated: only the first migration applied.
    const file = join(cwd.path, 'old.db')
    const [first, ...rest] = loadMigrations(new URL('../../src/store/sqlite/migrations/', import.meta.url))
    const db = new Database(file)
    db.exec(`CREATE TABLE gateway_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
      checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
    db.exec(first!.sql)
    db.prepare('INSERT INTO gateway_migrations VALUES (?, ?, ?, ?)').run(1, first!.name, first!.checksum, 0)
    db.close()
    const env = { DATABASE_URL: `sqlite:${file}`, PORT: '0' }

    const pending = await runCli(['doctor', '--json'], { cwd: cwd.path, env })
    expect(pending.code).toBe(1)
    const check = (JSON.parse(pending.stdout) as DoctorReport).checks.find((c) => c.name === 'database')!
    const names = rest.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`)
    expect(check).toEqual({
      name: 'database',
      status: 'fail',
      message: `sqlite:${file} is reachable but ${names.length} migration${names.length === 1 ? ' is' : 's are'} pending: ${names.join(', ')}`,
      fix: 'run `ghl-gateway migrate` (serve also migrates when it starts)',
    })
    const text = await runCli(['doctor'], { cwd: cwd.path, env })
    expect(text.stdout).toMatch(/^FAIL +database +.* pending: 0002_/m)
    expect(text.stdout).toMatch(/→ run `ghl-gateway migrate`/)

    // doctor applied nothing; migrate does, and then the check passes.
    const still = await runCli(['doctor', '--json'], { cwd: cwd.path, env })
    expect((JSON.parse(still.stdout) as DoctorReport).checks.find((c) => c.name === 'database')!.status).toBe(
      'fail',
    )
    expect((await runCli(['migrate'], { cwd: cwd.path, env })).code).toBe(0)
    const migrated = await runCli(['doctor', '--json'], { cwd: cwd.path, env })
    expect(
      (JSON.parse(migrated.stdout) as DoctorReport).checks.find((c) => c.name === 'database'),
    ).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/is reachable and migrated \(\d+ migrations\)/),
    })
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

/** Every command a user runs (groups are listed by their subcommands). */
const COMMANDS = [
  ['serve'],
  ['migrate'],
  ['keys', 'generate'],
  ['keys', 'env'],
  ['send'],
  ['simulate'],
  ['events', 'list'],
  ['events', 'show'],
  ['events', 'export'],
  ['tail'],
  ['replay'],
  ['dlq', 'list'],
  ['dlq', 'show'],
  ['dlq', 'replay'],
  ['dlq', 'purge'],
  ['destinations', 'list'],
  ['destinations', 'show'],
  ['destinations', 'pause'],
  ['destinations', 'resume'],
  ['destinations', 'test'],
  ['destinations', 'delete'],
  ['doctor'],
]

describe('exit codes', () => {
  const cwd = tempDir()
  afterAll(() => cwd.remove())
  const cli = (...args: string[]) => runCli(args, { cwd: cwd.path, timeoutMs: 60_000 })
  /** One CLI run per command, four at a time: a busy 2-core machine must not time them out. */
  const eachCommand = async (commands: string[][], check: (command: string[]) => Promise<void>) => {
    const queue = [...commands]
    const lane = async () => {
      for (let command = queue.shift(); command; command = queue.shift()) await check(command)
    }
    await Promise.all([lane(), lane(), lane(), lane()])
  }

  it('usage errors exit 2 with the reason', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['send', 'ContactCreate', '--count', '0'], /--count.*must be a whole number/],
      [['send', 'ContactCreat'], /unknown event "ContactCreat"; did you mean "ContactCreate"\?/],
      [['send'], /name an event/],
      [['send', 'ContactCreate', '--sign', 'hmac'], /must be one of ed25519, rsa, none/],
      [['simulate', '--policy', 'ghl-2024'], /must be one of ghl-2026, ghl-2025, none/],
      [
        ['simulate', '--mix', 'contacts=10'],
        /"contacts" is neither an event nor a category \(did you mean "contact"\?\)/,
      ],
      [['events', 'list', '--since', 'yesterday'], /--since.*ISO time/],
      [['events'], /Usage: ghl-gateway events/],
      [['replay'], /name what to replay: an event id, --delivery <id>, or --filter/],
      [['replay', 'evt_1', '--delivery', 'dlv_1'], /name what to replay/],
      [['replay', '--filter', '--state', 'pending'], /--state.*must be one of dead, succeeded, discarded/],
      [['dlq', 'list', '--since', 'yesterday'], /--since.*ISO time/],
      [['dlq'], /Usage: ghl-gateway dlq/],
      [['tail'], /no admin token: set ADMIN_TOKEN/],
      [['serve', '--port', '99999'], /must be a port number/],
    ]
    for (const [args, message] of cases) {
      const result = await cli(...args)
      expect({ args, code: result.code }).toEqual({ args, code: 2 })
      expect(result.stderr).toMatch(message)
    }
  }, 120_000)

  it('a usage error is one line and where the help is, not the whole help, for every command', async () => {
    await eachCommand(COMMANDS, async (command) => {
      const result = await cli(...command, '--zzzz')
      expect({ command, code: result.code }).toEqual({ command, code: 2 })
      expect(result.stderr).toBe(
        `error: unknown option '--zzzz'\n(run 'ghl-gateway ${command.join(' ')} --help' for usage)\n`,
      )
    })
    const missing = await cli('destinations', 'show')
    expect(missing.stderr).toBe(
      "error: missing required argument 'id'\n(run 'ghl-gateway destinations show --help' for usage)\n",
    )
    // A usage error found by the command itself gets the same hint.
    const typo = await cli('send', 'ContactCreat')
    expect(typo.code).toBe(2)
    expect(typo.stderr.split('\n')).toEqual([
      expect.stringMatching(/^ghl-gateway: unknown event "ContactCreat"; did you mean "ContactCreate"\?/),
      "(run 'ghl-gateway send --help' for usage)",
      '',
    ])
  }, 120_000)

  it('a missing signing key is a usage error: one sentence saying to run keys generate (exit 2)', async () => {
    const result = await cli('send', 'ContactCreate')
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split('\n')).toEqual([
      'ghl-gateway: no signing key at .ghl-gateway/keys/ed25519.pem; run `ghl-gateway keys generate` first (or pass --key <file>, or --sign none)',
      "(run 'ghl-gateway send --help' for usage)",
    ])
  })

  it('--help and --version exit 0; every command’s help has examples and its environment', async () => {
    expect((await cli('--version')).code).toBe(0)
    expect((await cli('--help')).code).toBe(0)
    await eachCommand(COMMANDS, async (command) => {
      const help = await cli(...command, '--help')
      expect(help.code).toBe(0)
      expect(help.stdout, command.join(' ')).toMatch(/Examples:\n {2}\$ ghl-gateway/)
      expect(help.stdout, command.join(' ')).toMatch(/^Environment: /m)
      // Help is for users: no pointers into our own notes.
      expect(help.stdout, command.join(' ')).not.toMatch(/REFERENCE|shared\/ghl/)
      const flat = help.stdout.replace(/\s+/g, ' ')
      if (flat.includes('--url <url>')) {
        expect(flat, command.join(' ')).toContain(
          '--url <url> the gateway (default: http://127.0.0.1:$PORT, PORT default 3000) --token',
        )
      }
    })
  }, 120_000)
})
