import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../support/databases.js'
import {
  type GatewayProcess,
  httpRequest,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from '../support/gateway-process.js'
import { until } from '../support/until.js'
import { envLines, jsonLines, runCli, startCli, tempDir } from './run-cli.js'

/**
 * `replay` and `dlq list|show|replay|purge` against a real library-mode gateway whose handler
 * `sink` fails while a flag file exists (test/support/dlq-gateway.mjs): dead deliveries on demand,
 * then brought back. `tail` watches the worker's attempts on the way.
 */

const ADMIN_TOKEN = 'dlq-test-admin-token-0123456789'
const ENTRY = fileURLToPath(new URL('../support/dlq-gateway.mjs', import.meta.url))

interface Row {
  id: string
  eventId: string
  state: string
  subscriber: string
  totalAttempts: number
  lastError: string | null
}

describe('replay and dlq', () => {
  const cwd = tempDir()
  const database = freshSqliteFile()
  const failFile = join(cwd.path, 'sink-is-down')
  let gateway: GatewayProcess
  let env: Record<string, string>
  const cli = (...args: string[]) => runCli(args, { cwd: cwd.path, env })
  let events: { eventId: string; webhookId: string }[] = []
  let dead: Row[] = []

  beforeAll(async () => {
    const generated = await runCli(['keys', 'generate'], { cwd: cwd.path })
    expect(generated.code, generated.stderr).toBe(0)
    writeFileSync(failFile, '')
    gateway = await startGatewayProcess({
      databaseUrl: database.url,
      entry: ENTRY,
      env: { ...envLines(generated.stdout), ADMIN_TOKEN, FAIL_FILE: failFile, WORKER_POLL_INTERVAL: '100ms' },
    })
    env = { PORT: String(gateway.port), ADMIN_TOKEN }
  })
  afterAll(async () => {
    await gateway?.stop()
    await stopAllGatewayProcesses()
    database.remove()
    cwd.remove()
  })

  async function deliveries(query: string): Promise<Row[]> {
    const answer = await httpRequest(`${gateway.url}/api/deliveries?limit=500&${query}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(answer.status, answer.text).toBe(200)
    return (answer.body as { data: Row[] }).data
  }

  /** The deliveries in `state`, once there are exactly `count` of them. */
  async function waitForState(state: string, count: number): Promise<Row[]> {
    return until(async () => {
      const rows = await deliveries(`state=${state}`)
      return rows.length === count ? rows : undefined
    }, `${count} deliveries ${state}`)
  }

  it('failing deliveries go dead (tail shows each attempt) and dlq list shows them', async () => {
    const tail = startCli(['tail', '--json'], { cwd: cwd.path, env })
    await tail.waitFor(/streaming/, { stream: 'stderr' })
    const sent = await cli('send', 'ContactCreate', '--count', '4', '--json')
    expect(sent.code, sent.stderr).toBe(0)
    events = jsonLines(sent.stdout) as typeof events
    dead = await waitForState('dead', 4)

    const attempts = await until(() => {
      const lines = jsonLines(tail.stdout()).filter((m) => m.kind === 'delivery')
      return lines.filter((m) => m.outcome === 'dead').length === 4 ? lines : undefined
    }, 'four dead outcomes in the tail')
    expect(attempts.filter((m) => m.outcome === 'retry')).toHaveLength(4)
    expect(attempts.find((m) => m.outcome === 'dead')).toMatchObject({
      subscriber: 'sink',
      attempt: 2,
      error: expect.stringContaining('SinkDownError: the sink is down'),
      type: 'contact.created',
    })
    expect((await tail.stop()).code).toBe(0)

    const table = await cli('dlq', 'list')
    expect(table.code, table.stderr).toBe(0)
    const lines = table.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^UPDATED +DELIVERY +STATE +SUBSCRIBER +TYPE +TENANT +ATTEMPTS +LAST ERROR$/)
    expect(lines).toHaveLength(5)
    expect(lines[1]).toMatch(/dlv_\w+ +dead +sink +contact\.created +\S+ +2 +SinkDownError: the sink is down/)

    const json = JSON.parse(
      (await cli('dlq', 'list', '--type', 'ContactCreate', '--limit', '3', '--json')).stdout,
    )
    expect(json.data).toHaveLength(3)
    expect(json.nextCursor).toEqual(expect.any(String))
  })

  it('dlq show prints the delivery, its event and every attempt; --stack the stacks', async () => {
    const row = dead.find((d) => d.eventId === events[0]!.eventId)!
    const show = await cli('dlq', 'show', row.id)
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(new RegExp(`^${row.id}  dead  subscriber sink`))
    expect(show.stdout).toMatch(
      new RegExp(`event +${events[0]!.eventId}  contact\\.created \\(ContactCreate\\)`),
    )
    expect(show.stdout).toContain(`webhookId ${events[0]!.webhookId}`)
    expect(show.stdout).toMatch(/attempts +2 this cycle, 2 in all/)
    expect(show.stdout).toMatch(/^# +STARTED +DURATION +OUTCOME +ERROR$/m)
    expect(show.stdout).toMatch(
      /^1 +\d{4}-\d\d-\d\d \S+ +[\d.]+ ms +retry +SinkDownError: the sink is down$/m,
    )
    expect(show.stdout).toMatch(/^2 +.* dead +SinkDownError: the sink is down$/m)
    expect(show.stdout).not.toMatch(/^ {4}at /m)

    const stack = await cli('dlq', 'show', row.id, '--stack')
    expect(stack.stdout).toMatch(
      /^#1 .* retry {2}SinkDownError: the sink is down\n {4}SinkDownError: the sink is down\n +at /m,
    )

    const json = JSON.parse((await cli('dlq', 'show', row.id, '--json')).stdout)
    expect(json).toMatchObject({ id: row.id, state: 'dead', event: { id: events[0]!.eventId } })
    expect(json.attemptHistory.map((a: { number: number }) => a.number)).toEqual([1, 2])

    const unknown = await cli('dlq', 'show', 'dlv_nope')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/404 not_found: no delivery dlv_nope/)
  })

  it('bulk actions refuse without a terminal unless --yes (exit 2), and change nothing', async () => {
    const cases = [
      ['replay', '--filter'],
      ['replay', '--filter', '--type', 'contact.created'],
      ['dlq', 'replay'],
      ['dlq', 'purge', '--subscriber', 'sink'],
    ]
    for (const args of cases) {
      const result = await cli(...args)
      expect({ args, code: result.code }).toEqual({ args, code: 2 })
      expect(result.stderr).toMatch(/4 dead deliveries match/)
      expect(result.stderr).toMatch(
        /ghl-gateway: (replay|purge) 4 dead deliveries: pass --yes to confirm \(there is no terminal to ask on\)/,
      )
    }
    expect(await deliveries('state=dead')).toHaveLength(4)

    const usage = await cli('replay')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/name what to replay: an event id, --delivery <id>, or --filter/)
    const filterless = await cli('replay', events[0]!.eventId, '--type', 'x')
    expect(filterless.code).toBe(2)
    expect(filterless.stderr).toMatch(/need --filter/)
  })

  it('replays one event, one delivery; purges and replays the rest in bulk', async () => {
    rmSync(failFile)
    const [e1, e2, e3, e4] = events
    const byEvent = (eventId: string) => dead.find((d) => d.eventId === eventId)!

    const one = await cli('replay', e1!.eventId)
    expect(one.code, one.stderr).toBe(0)
    expect(one.stdout.trim()).toBe(`replayed 1 delivery of event ${e1!.eventId}`)

    const single = await cli('dlq', 'replay', byEvent(e2!.eventId).id)
    expect(single.code, single.stderr).toBe(0)
    expect(single.stdout.trim()).toBe(`replayed ${byEvent(e2!.eventId).id}`)
    const succeeded = await waitForState('succeeded', 2)
    expect(succeeded.map((d) => d.eventId).sort()).toEqual([e1!.eventId, e2!.eventId].sort())

    const purged = await cli('dlq', 'purge', '--yes')
    expect(purged.code, purged.stderr).toBe(0)
    expect(purged.stderr).toMatch(/^2 dead deliveries match$/m)
    expect(purged.stdout.trim()).toBe('purged 2 dead deliveries')
    expect(JSON.parse((await cli('dlq', 'list', '--json')).stdout).data).toEqual([])
    const discarded = await deliveries('state=discarded')
    expect(discarded.map((d) => d.eventId).sort()).toEqual([e3!.eventId, e4!.eventId].sort())

    const nothing = await cli('dlq', 'purge', '--yes')
    expect(nothing.stdout.trim()).toBe('no dead deliveries match; nothing to purge')

    const back = await cli('replay', '--filter', '--state', 'discarded', '--yes', '--json')
    expect(back.code, back.stderr).toBe(0)
    expect(JSON.parse(back.stdout)).toEqual({ replayed: 2, added: 0, matched: 2 })
    await waitForState('succeeded', 4)

    // The history is kept: two failed attempts, then the one that succeeded.
    const show = await cli('dlq', 'show', byEvent(e3!.eventId).id, '--json')
    const detail = JSON.parse(show.stdout)
    expect(detail.state).toBe('succeeded')
    expect(detail.attemptHistory.map((a: { outcome: string }) => a.outcome)).toEqual([
      'retry',
      'dead',
      'succeeded',
    ])
  })

  it('dlq replay --all and purge --all hand the work to a gateway job (counted and confirmed first); --wait follows it; dlq jobs lists them', async () => {
    writeFileSync(failFile, '')
    const sent = await cli('send', 'ContactCreate', '--count', '3', '--json')
    expect(sent.code, sent.stderr).toBe(0)
    await waitForState('dead', 3)

    const refused = await cli('dlq', 'purge', '--all')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(
      /purge 3 dead deliveries \(in the background, on the gateway\): pass --yes/,
    )

    const purged = await cli('dlq', 'purge', '--all', '--subscriber', 'sink', '--yes', '--wait', '--json')
    expect(purged.code, purged.stderr).toBe(0)
    const purgeJob = JSON.parse(purged.stdout)
    expect(purgeJob).toMatchObject({ action: 'purge', state: 'succeeded', done: 3, total: 3 })
    expect(await deliveries('state=dead')).toHaveLength(0)

    rmSync(failFile)
    await cli('replay', '--filter', '--state', 'discarded', '--yes')
    await waitForState('succeeded', 7)
    const nothing = await cli('dlq', 'replay', '--all', '--yes')
    expect(nothing.stdout.trim()).toBe('no dead deliveries match; nothing to replay')

    const jobs = await cli('dlq', 'jobs')
    expect(jobs.code, jobs.stderr).toBe(0)
    expect(jobs.stdout).toContain(`${purgeJob.id}  purge  succeeded  3 of 3  subscriber=sink`)
    const cancel = await cli('dlq', 'jobs', purgeJob.id, '--cancel')
    expect(cancel.code).toBe(1)
    expect(cancel.stderr).toMatch(/409 conflict: dlq job .* is succeeded/)
  })
})
