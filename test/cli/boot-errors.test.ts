import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/gateway-process.js'
import { runCli, startCli, tempDir } from './run-cli.js'

/**
 * What a new user hits when `serve` cannot start, and what `doctor` says about the same setting:
 * configuration errors exit 2 naming the setting and what to write; a port or a database that is
 * not available exits 1 saying which and what to check.
 */

interface DoctorReport {
  ok: boolean
  checks: { name: string; status: string; message: string; fix?: string }[]
}

const cwd = tempDir()
afterAll(() => cwd.remove())
const sqlite = (name: string) => `sqlite:${join(cwd.path, `${name}.db`)}`

describe('configuration errors exit 2 and say what to write instead', () => {
  it('TRUST_PROXY that is not a proxy list is named', async () => {
    const result = await runCli(['serve'], {
      cwd: cwd.path,
      env: { TRUST_PROXY: 'maybe', PORT: '0', DATABASE_URL: sqlite('trust') },
    })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(
      'ghl-gateway: invalid environment: TRUST_PROXY must be true, false, a hop count, or proxy addresses/CIDR ranges',
    )
  })

  it('DATABASE_URL as a bare path is quoted, with the sqlite: form to write; doctor says the same', async () => {
    const env = { DATABASE_URL: './data/other.db', PORT: '0' }
    const sentence =
      'DATABASE_URL must be sqlite:<path> or postgres://user:pass@host:5432/db (got "./data/other.db"); ' +
      'for a SQLite file write sqlite:./data/other.db'
    const serve = await runCli(['serve'], { cwd: cwd.path, env })
    expect(serve.code).toBe(2)
    expect(serve.stderr.trim()).toBe(`ghl-gateway: invalid environment: ${sentence}`)

    const doctor = await runCli(['doctor', '--json'], { cwd: cwd.path, env })
    const checks = (JSON.parse(doctor.stdout) as DoctorReport).checks
    expect(checks.find((c) => c.name === 'config')).toMatchObject({
      status: 'fail',
      message: `invalid environment: ${sentence}`,
    })
    expect(JSON.stringify(checks)).not.toMatch(/PostgreSQL|unparseable/)
  })

  it('a misspelt config key, and a destination event that can never match, stop serve; doctor fails them', async () => {
    const cases: [string, string][] = [
      [
        'destinatons:\n  - { id: crm, url: "https://crm.example/hook", events: ["*"] }\n',
        'unknown key "destinatons"; did you mean "destinations"?',
      ],
      [
        'destinations:\n  - { id: crm, url: "https://crm.example/hook", events: [contact.creatd] }\n',
        'destinations.0.events.0: "contact.creatd" matches no event; did you mean "contact.created"?',
      ],
    ]
    for (const [yaml, sentence] of cases) {
      const file = join(cwd.path, 'typo.config.yaml')
      writeFileSync(file, yaml)
      const env = { GATEWAY_CONFIG: file, PORT: '0', DATABASE_URL: sqlite('typo') }
      const serve = await runCli(['serve'], { cwd: cwd.path, env })
      expect({ code: serve.code, stderr: serve.stderr }).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(sentence),
      })
      const doctor = await runCli(['doctor', '--json'], { cwd: cwd.path, env })
      expect(doctor.code).toBe(1)
      const config = (JSON.parse(doctor.stdout) as DoctorReport).checks.find((c) => c.name === 'config')
      expect(config).toMatchObject({ status: 'fail', message: expect.stringContaining(sentence) })
    }
  })
})

describe('serve that cannot start exits 1 and says which resource and what to check', () => {
  it('a port in use is named with its host', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const { port } = blocker.address() as { port: number }
    try {
      const result = await runCli(['serve'], {
        cwd: cwd.path,
        env: { HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: sqlite('busy') },
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`ghl-gateway: port ${port} on 127.0.0.1 is already in use`)
      expect(result.stderr).toContain('choose another port with --port or PORT')
    } finally {
      blocker.close()
    }
  })

  it('a refused PostgreSQL connection gets the sentence and the fix doctor gives (serve and migrate)', async () => {
    const env = { DATABASE_URL: `postgres://gateway:secret@127.0.0.1:${await freePort()}/gateway`, PORT: '0' }
    const doctor = await runCli(['doctor', '--json'], { cwd: cwd.path, env })
    const check = (JSON.parse(doctor.stdout) as DoctorReport).checks.find((c) => c.name === 'database')!
    expect(check.message).toMatch(
      /^cannot use postgres:\/\/gateway:\*\*\*@127\.0\.0\.1:\d+\/gateway: .*ECONNREFUSED/,
    )

    for (const command of ['serve', 'migrate']) {
      const result = await runCli([command], { cwd: cwd.path, env })
      expect(result.code).toBe(1)
      expect(result.stderr.trim()).toBe(
        `ghl-gateway: ${check.message}; ${check.fix} (\`ghl-gateway doctor\` checks it)`,
      )
      expect(result.stderr).not.toContain('secret')
    }
  })
})

describe('doctor', () => {
  it('says "Nothing to fix." only without warnings; with them it counts them', async () => {
    const env = { DATABASE_URL: sqlite('warned'), PORT: String(await freePort()), HOST: '127.0.0.1' }
    expect((await runCli(['migrate'], { cwd: cwd.path, env })).code).toBe(0)
    const clean = await runCli(['doctor'], { cwd: cwd.path, env })
    expect(clean.stdout.trim().split('\n').at(-1)).toBe('Nothing to fix.')

    const warned = await runCli(['doctor'], {
      cwd: cwd.path,
      env: { ...env, GHL_SIGNATURE_MODE: 'off', WORKER_CONCURENCY: '4' },
    })
    expect(warned.code).toBe(0)
    expect(warned.stdout).not.toContain('Nothing to fix.')
    expect(warned.stdout).toMatch(/^warn +signatures +GHL_SIGNATURE_MODE=off: /m)
    expect(warned.stdout).toMatch(
      /^warn +variables +WORKER_CONCURENCY is not a ghl-gateway setting .*"WORKER_CONCURRENCY"/m,
    )
    expect(warned.stdout.trim().split('\n').at(-1)).toBe('No problems; 2 warnings (see → above).')
  })

  it('names the address a running gateway is bound to, not its own HOST', async () => {
    const port = await freePort()
    const gateway = startCli(['serve'], {
      cwd: cwd.path,
      env: { HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: sqlite('bound') },
    })
    try {
      await gateway.waitFor(/listening on/)
      const doctor = await runCli(['doctor', '--json'], {
        cwd: cwd.path,
        env: { PORT: String(port), DATABASE_URL: sqlite('bound') }, // HOST defaults to 0.0.0.0
      })
      const check = (JSON.parse(doctor.stdout) as DoctorReport).checks.find((c) => c.name === 'port')
      expect(check).toEqual({
        name: 'port',
        status: 'info',
        message: expect.stringMatching(
          new RegExp(`^a ghl-gateway \\S+ is already serving on 127\\.0\\.0\\.1:${port}$`),
        ),
      })
    } finally {
      await gateway.stop('SIGTERM')
    }
  })
})
