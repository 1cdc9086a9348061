import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { open } from '../../src/assemble.js'
import { assembleForTest, type TestAssembly } from '../support/assembly.js'
import { GATEWAY_ENTRY } from '../support/gateway-process.js'

/**
 * `ghl-gateway ghl private-token set|remove` against a listening gateway: the token goes in on
 * stdin (never argv), comes out of the token engine, and is printed nowhere.
 */

const ADMIN = 'private-token-cli-admin-token'

function cli(args: string[], url: string, stdin: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [GATEWAY_ENTRY, ...args, '--url', url], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ADMIN_TOKEN: ADMIN },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(stdin)
  })
}

describe('ghl-gateway ghl private-token', () => {
  let gateway: TestAssembly | undefined
  afterEach(async () => {
    await gateway?.close()
  })

  it('set reads the token from stdin, remove forgets it; neither prints it', async () => {
    gateway = await assembleForTest('sqlite', {
      ADMIN_TOKEN: ADMIN,
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      GHL_TOKEN_KEY: randomBytes(32).toString('base64'),
    })
    const url = await open(gateway)
    const token = `pit-${randomBytes(16).toString('hex')}`
    const set = await cli(['ghl', 'private-token', 'set', 'location', 'loc_cli'], url, `${token}\n`)
    expect(set).toMatchObject({
      code: 0,
      stderr: 'Stored the Private Integration Token of location loc_cli (encrypted).\n',
    })
    expect(await gateway.ghlTokens!.accessToken('loc_cli')).toBe(token)
    const again = await cli(['ghl', 'private-token', 'set', 'location', 'loc_cli'], url, `${token}2`)
    expect(again.stderr).toBe(
      'Replaced the Private Integration Token of location loc_cli; it is active again.\n',
    )
    expect(await gateway.ghlTokens!.accessToken('loc_cli')).toBe(`${token}2`)
    for (const run of [set, again]) expect(run.stdout + run.stderr).not.toContain(token)

    const empty = await cli(['ghl', 'private-token', 'set', 'location', 'loc_cli'], url, '\n')
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain('no token was given: pipe it on stdin, or type it at the prompt')
    const wrongKind = await cli(['ghl', 'private-token', 'set', 'agency', 'loc_cli'], url, token)
    expect(wrongKind.code).toBe(2)
    expect(wrongKind.stderr).toContain('the first argument must be location or company (got "agency")')

    const removed = await cli(['ghl', 'private-token', 'remove', 'location', 'loc_cli'], url, '')
    expect(removed).toMatchObject({
      code: 0,
      stderr: 'Removed the Private Integration Token of location loc_cli.\n',
    })
    const gone = await cli(['ghl', 'private-token', 'remove', 'location', 'loc_cli'], url, '')
    expect(gone.code).toBe(1)
    expect(gone.stderr).toContain('no Private Integration Token is set for location loc_cli')
  })
})
