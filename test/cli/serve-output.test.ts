import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, GATEWAY_ENTRY } from '../support/gateway-process.js'
import { until } from '../support/until.js'
import { envLines, jsonLines, runCli, startCli, tempDir } from './run-cli.js'

/**
 * What `serve` prints. To a pipe (containers, log shippers): JSON lines only, with a warning line
 * for each unsafe or doubtful setting. To a terminal: the same JSON lines, and once it listens a
 * short summary — where the data is, the webhook URL, the admin API, the trusted keys, the next command.
 * The terminal case runs the CLI under a real pseudo-terminal (`script` from util-linux), so
 * `process.stdout.isTTY` is really true.
 */

const cwd = tempDir()
afterAll(() => cwd.remove())

describe('serve to a pipe', () => {
  it('prints JSON lines only, with a warning for each unsafe setting at boot', async () => {
    const config = join(cwd.path, 'replayable.config.yaml')
    writeFileSync(
      config,
      'sources:\n  - id: billing\n    verify: { scheme: hmac-sha256, header: X-Signature, secrets: [s3cret-value] }\n    idHeader: X-Event-Id\n',
    )
    const gateway = startCli(['serve'], {
      cwd: cwd.path,
      env: {
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        DATABASE_URL: `sqlite:${join(cwd.path, 'pipe.db')}`,
        GATEWAY_CONFIG: config,
        GHL_SIGNATURE_MODE: 'off',
        WORKER_CONCURENCY: '4',
      },
    })
    await gateway.waitFor(/listening on/)
    const { stdout } = await gateway.stop('SIGTERM')
    const lines = stdout.split('\n').filter((line) => line.trim() !== '')
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow()
    const warnings = jsonLines(stdout).filter((line) => line.level === 40)
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          topic: 'signatures',
          msg: expect.stringMatching(/^GHL_SIGNATURE_MODE=off: /),
        }),
        expect.objectContaining({
          topic: 'sources',
          msg: expect.stringContaining(
            'a captured request sent again with a new x-event-id is accepted as a new event',
          ),
          fix: expect.stringContaining('timestampHeader'),
        }),
        expect.objectContaining({
          topic: 'variables',
          msg: expect.stringContaining('did you mean "WORKER_CONCURRENCY"?'),
        }),
      ]),
    )
    expect(stdout).not.toContain('s3cret-value')
  })
})

const hasScript =
  process.platform === 'linux' && spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0

/** `serve` with its stdout on a pseudo-terminal; returns what the terminal showed once `shown` appeared. */
async function serveOnTerminal(env: Record<string, string>, shown: RegExp): Promise<string> {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`
  const child = spawn(
    'script',
    ['-qec', `${quote(process.execPath)} ${quote(GATEWAY_ENTRY)} serve`, '/dev/null'],
    {
      cwd: cwd.path,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd.path, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk.replace(/\r/g, '') // the terminal's line ends are \r\n
  })
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  try {
    // Over early if `script` exits; on either failure the error carries what the terminal showed.
    await until(() => shown.test(output) || child.exitCode !== null, 'it or an exit', 15_000).catch(() => {})
    if (!shown.test(output)) throw new Error(`no ${shown} on the terminal:\n${output}`)
    return output
  } finally {
    // Ctrl-C on the terminal: the gateway drains and exits, then `script` does.
    child.stdin.write('\x03')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

describe.skipIf(!hasScript)('serve to a terminal', () => {
  it('a first start: data, webhook URL, admin API off and how to turn it on, keys, and to generate keys next', async () => {
    const port = await freePort()
    const screen = await serveOnTerminal(
      { PORT: String(port), DATABASE_URL: 'sqlite:./data/first.db' },
      /\n {2}next +.*\n/,
    )
    const summary = screen.slice(screen.indexOf('ghl-gateway 0.1.0 is running'))
    expect(summary).toMatch(/^ghl-gateway \S+ is running\. Its log is JSON lines; Ctrl-C stops it\.$/m)
    expect(summary).toMatch(/^ {2}data +\.\/data\/first\.db \(SQLite\)$/m)
    expect(summary).toMatch(
      new RegExp(
        `^ {2}webhooks +http://127\\.0\\.0\\.1:${port}/webhooks/ghl \\(every interface: point GHL at https://<your host>/webhooks/ghl, behind TLS\\)$`,
        'm',
      ),
    )
    expect(summary).toMatch(/^ {2}admin API +off: set ADMIN_TOKEN to turn on \/api/m)
    expect(summary).toMatch(/^ {2}keys +GHL's published Ed25519 and RSA keys only$/m)
    expect(summary).toMatch(/^ {2}signatures +required/m)
    expect(summary).toMatch(
      /^ {2}next +ghl-gateway keys generate, then restart with: env \$\(ghl-gateway keys env\) ghl-gateway serve$/m,
    )
    // The JSON lines are still there.
    expect(screen).toMatch(/^\{"level":30,.*"msg":"ghl-gateway \S+ listening on /m)
  })

  it('with trusted test keys and an admin token: the API is on and the next step is send', async () => {
    const generated = await runCli(['keys', 'generate', '--out', '.ghl-gateway/keys', '--force'], {
      cwd: cwd.path,
    })
    expect(generated.code).toBe(0)
    const keys = envLines(generated.stdout)
    const port = await freePort()
    const screen = await serveOnTerminal(
      {
        ...keys,
        PORT: String(port),
        HOST: '127.0.0.1',
        ADMIN_TOKEN: 'a-long-enough-admin-token',
        DATABASE_URL: `sqlite:${join(cwd.path, 'second.db')}`,
      },
      /\n {2}next +.*\n/,
    )
    expect(screen).toMatch(new RegExp(`^ {2}webhooks +http://127\\.0\\.0\\.1:${port}/webhooks/ghl$`, 'm'))
    expect(screen).toMatch(
      new RegExp(`^ {2}admin API +on: http://127\\.0\\.0\\.1:${port}/api/events, /metrics, /health`, 'm'),
    )
    expect(screen).toMatch(
      /^ {2}keys +GHL's published Ed25519 and RSA keys, and ed25519:[0-9a-f]+ \(`send` signs with it\), rsa:[0-9a-f]+$/m,
    )
    expect(screen).toMatch(
      new RegExp(
        `^ {2}next +ghl-gateway send ContactCreate --to http://127\\.0\\.0\\.1:${port}/webhooks/ghl {3}\\(in another terminal\\)$`,
        'm',
      ),
    )
    expect(screen).not.toContain('a-long-enough-admin-token')
  })
})
