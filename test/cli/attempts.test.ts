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
import { type Sink, type SinkReply, startSink } from '../support/sink.js'
import { until } from '../support/until.js'
import { envLines, jsonLines, type RunningCli, runCli, startCli, tempDir } from './run-cli.js'

/**
 * Attempts, end to end, on the real binary: a library-mode gateway (test/support/dlq-gateway.mjs)
 * whose handler `sink` fails while a flag file exists, plus a destination `crm` posting to a local
 * HTTP server that answers 503 while the test says so. Both go dead, `events show` and `dlq show`
 * print what happened (attempts, the destination's saved response); then the event is replayed
 * and every surface — ctx, header, logs, live stream, tail, API, CLI — numbers the first attempt
 * of the new cycle 1, in replay 1.
 */

const ADMIN_TOKEN = 'attempts-test-admin-token-0123456789'
const ENTRY = fileURLToPath(new URL('../support/dlq-gateway.mjs', import.meta.url))

interface ApiAttempt {
  number: number
  cycle: number
  outcome: string
}
interface ApiDelivery {
  id: string
  subscriber: string
  state: string
  cycle: number
  attemptsInCycle: number
  totalAttempts: number
  attempts: number
  attemptHistory: ApiAttempt[]
  attemptsLog: ApiAttempt[]
}

describe('attempts: one numbering across replays; events show and dlq show', () => {
  const cwd = tempDir()
  const database = freshSqliteFile()
  const failFile = join(cwd.path, 'sink-is-down')
  let crmDown = true
  let sink: Sink
  let gateway: GatewayProcess
  let env: Record<string, string>
  let tailJson: RunningCli
  let tailText: RunningCli
  let eventId = ''
  const cli = (...args: string[]) => runCli(args, { cwd: cwd.path, env })

  beforeAll(async () => {
    sink = await startSink(
      (): SinkReply =>
        crmDown
          ? {
              status: 503,
              headers: { 'content-type': 'application/json', 'retry-after': '0', 'x-request-id': 'req_503' },
              // A title-setting escape sequence: printed as text, never sent to the operator's terminal.
              body: '{"error":"overloaded"}\u001b]0;pwned\u0007',
            }
          : { status: 200, headers: { 'content-type': 'text/plain' }, body: 'thanks' },
    )
    const config = join(cwd.path, 'ghl-gateway.config.yaml')
    writeFileSync(
      config,
      `egress: { allow: [127.0.0.1] }
destinations:
  - id: crm
    url: ${sink.url}
    events: ["*"]
    retry: { maxAttempts: 2, minDelay: 10ms, maxDelay: 20ms }
    circuitBreaker: false
    timeout: 2s
`,
    )
    const generated = await runCli(['keys', 'generate'], { cwd: cwd.path })
    expect(generated.code, generated.stderr).toBe(0)
    writeFileSync(failFile, '')
    gateway = await startGatewayProcess({
      databaseUrl: database.url,
      entry: ENTRY,
      logLevel: 'debug',
      env: {
        ...envLines(generated.stdout),
        ADMIN_TOKEN,
        FAIL_FILE: failFile,
        GATEWAY_CONFIG: config,
        WORKER_POLL_INTERVAL: '100ms',
      },
    })
    env = { PORT: String(gateway.port), ADMIN_TOKEN }
  })
  afterAll(async () => {
    await tailJson?.stop()
    await tailText?.stop()
    await gateway?.stop()
    await stopAllGatewayProcesses()
    await sink?.close()
    database.remove()
    cwd.remove()
  })

  async function api<T>(path: string): Promise<T> {
    const answer = await httpRequest(`${gateway.url}${path}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    expect(answer.status, answer.text).toBe(200)
    return answer.body as T
  }

  /** The event's deliveries by subscriber, once every one of them is in `state`. */
  async function waitForDeliveries(state: string): Promise<Record<string, ApiDelivery>> {
    return until(
      async () => {
        const { deliveries } = await api<{ deliveries: ApiDelivery[] }>(`/api/events/${eventId}`)
        return deliveries.length === 2 && deliveries.every((d) => d.state === state)
          ? Object.fromEntries(deliveries.map((d) => [d.subscriber, d]))
          : undefined
      },
      `both deliveries ${state}`,
      15_000,
    )
  }

  it('events show lists every delivery with its attempts; dlq show prints the saved response', async () => {
    tailJson = startCli(['tail', '--json'], { cwd: cwd.path, env })
    tailText = startCli(['tail'], { cwd: cwd.path, env })
    await tailJson.waitFor(/streaming/, { stream: 'stderr' })
    await tailText.waitFor(/streaming/, { stream: 'stderr' })
    const sent = await cli('send', 'ContactCreate', '--json')
    expect(sent.code, sent.stderr).toBe(0)
    eventId = String(jsonLines(sent.stdout)[0]!.eventId)
    const dead = await waitForDeliveries('dead')

    const show = await cli('events', 'show', eventId)
    expect(show.code, show.stderr).toBe(0)
    const out = show.stdout
    expect(out).toMatch(/^deliveries \(2\)$/m)
    expect(out).toMatch(
      new RegExp(`^ {2}crm {2}dead {2}${dead.crm!.id} {2}attempts 2 this cycle, 2 in all {2}completed `, 'm'),
    )
    expect(out).toMatch(
      new RegExp(
        `^ {2}sink {2}dead {2}${dead.sink!.id} {2}attempts 2 this cycle, 2 in all {2}completed `,
        'm',
      ),
    )
    expect(out).toMatch(/^ {2}last error {2}SinkDownError: the sink is down \(gave up after 2 attempts/m)
    expect(out).toMatch(/^ {2}response {4}503 after [\d.]+ ms \(attempt 2\)$/m)
    // The destination's attempts with the status it answered; the handler's without a status column.
    expect(out).toMatch(/^ {4}# +STARTED +DURATION +OUTCOME +STATUS +ERROR$/m)
    expect(out).toMatch(
      /^ {4}1 +\d{4}-\d\d-\d\d \S+ +[\d.]+ ms +retry +503 +HttpStatusError: POST http:\/\/127\.0\.0\.1:\d+ answered 503/m,
    )
    expect(out).toMatch(/^ {4}2 +\S+ \S+ +[\d.]+ ms +dead +503 +HttpStatusError: /m)
    expect(out).toMatch(/^ {4}# +STARTED +DURATION +OUTCOME +ERROR$/m)
    expect(out).toMatch(/^ {4}1 +\S+ \S+ +[\d.]+ ms +retry +SinkDownError: the sink is down$/m)
    expect(out).toMatch(/^ {4}2 +\S+ \S+ +[\d.]+ ms +dead +SinkDownError: the sink is down$/m)

    const crm = await cli('dlq', 'show', dead.crm!.id)
    expect(crm.code, crm.stderr).toBe(0)
    expect(crm.stdout).toMatch(/^response {4}503 after [\d.]+ ms \(attempt 2\)$/m)
    expect(crm.stdout).toMatch(/^ {2}content-type: application\/json$/m)
    expect(crm.stdout).toMatch(/^ {2}retry-after: 0$/m)
    expect(crm.stdout).toMatch(/^ {2}x-request-id: req_503$/m)
    expect(crm.stdout).toMatch(/^ {2}\(\d+ more headers: --json shows them\)$/m)
    expect(crm.stdout).toMatch(/^ {2}body\n {4}\{"error":"overloaded"\}\\x1b\]0;pwned\\x07$/m)
    expect(crm.stdout).not.toContain('\u001b')
    expect(crm.stdout).toMatch(/^2 +\S+ \S+ +[\d.]+ ms +dead +503 +HttpStatusError: /m)
    // A handler has no response to show.
    const handler = await cli('dlq', 'show', dead.sink!.id)
    expect(handler.code, handler.stderr).toBe(0)
    expect(handler.stdout).not.toMatch(/^response/m)
  })

  it('after a replay every surface calls the first attempt of the new cycle 1 (replay 1)', async () => {
    rmSync(failFile)
    crmDown = false
    const replay = await cli('replay', eventId)
    expect(replay.code, replay.stderr).toBe(0)
    expect(replay.stdout.trim()).toBe(`replayed 2 deliveries of event ${eventId}`)
    const done = await waitForDeliveries('succeeded')
    const expected = [
      [0, 1, 'retry'],
      [0, 2, 'dead'],
      [1, 1, 'succeeded'],
    ]

    // The handler's ctx, and the worker's log lines (the handler's own lines carry them too). The
    // worker logs an outcome after committing it, and lines arrive through a pipe: on a loaded
    // machine the last ones can trail the API's answer, so wait for them (bounded) before comparing.
    const outcomeLines = () =>
      gateway
        .jsonLogs()
        .filter((line) => line.subscriber === 'crm' && line.deliveryId === done.crm!.id)
        .filter((line) => ['will retry', 'dead-lettered', 'delivered'].includes(String(line.msg)))
    const ranLines = () => gateway.jsonLogs().filter((line) => line.msg === 'sink ran')
    // No throw on timeout: the assertions below show which lines came.
    await until(
      () => outcomeLines().length >= expected.length && ranLines().length >= 3,
      'the log lines',
      15_000,
    ).catch(() => {})
    const ran = ranLines()
    expect(ran.map((line) => [line.ctxCycle, line.ctxAttempt, line.cycle, line.attempt])).toEqual([
      [0, 1, 0, 1],
      [0, 2, 0, 2],
      [1, 1, 1, 1],
    ])
    const outcomes = outcomeLines()
    expect(outcomes.map((line) => [line.cycle, line.attempt, line.outcome])).toEqual(
      expected.map(([cycle, attempt, outcome]) => [
        cycle,
        attempt,
        outcome === 'retry' ? 'retry_scheduled' : outcome,
      ]),
    )

    // The destination's headers.
    expect(sink.requests.map((r) => [r.headers['x-gateway-cycle'], r.headers['x-gateway-attempt']])).toEqual([
      ['0', '1'],
      ['0', '2'],
      ['1', '1'],
    ])

    // The live stream (tail --json) and tail's lines.
    await tailJson.waitFor(/"outcome":"succeeded"[\s\S]*"outcome":"succeeded"/)
    const stream = jsonLines(tailJson.stdout()).filter((m) => m.kind === 'delivery')
    for (const subscriber of ['crm', 'sink']) {
      const mine = stream.filter((m) => m.subscriber === subscriber)
      expect(mine.map((m) => [m.cycle, m.attempt, m.outcome])).toEqual(expected)
    }
    // crm and sink are delivered independently: wait for each one's line, in either order.
    await tailText.waitFor(/succeeded +crm attempt 1 \(replay 1\) /)
    await tailText.waitFor(/succeeded +sink attempt 1 \(replay 1\) {2}dlv_/)
    expect(tailText.stdout()).toMatch(/dead +sink attempt 2 {2}dlv_/)

    // The API: new names, and the first API's names as deprecated aliases.
    const detail = await api<ApiDelivery>(`/api/deliveries/${done.crm!.id}`)
    for (const d of [detail, done.crm!, done.sink!]) {
      expect(d).toMatchObject({ cycle: 1, attemptsInCycle: 1, totalAttempts: 3, attempts: 1 })
      expect(d.attemptHistory.map((a) => [a.cycle, a.number, a.outcome])).toEqual(expected)
      expect(d.attemptsLog).toEqual(d.attemptHistory)
    }

    // The CLI.
    const show = await cli('dlq', 'show', done.crm!.id)
    expect(show.code, show.stderr).toBe(0)
    expect(show.stdout).toMatch(/^attempts {4}1 this cycle \(replay 1\), 3 in all$/m)
    expect(show.stdout).toMatch(/^1 \(replay 1\) +\S+ \S+ +[\d.]+ ms +succeeded +200$/m)
    expect(show.stdout).toMatch(/^response {4}200 after [\d.]+ ms \(attempt 1 \(replay 1\)\)$/m)
    expect(show.stdout).toMatch(/^ {2}body\n {4}thanks$/m)
    const event = await cli('events', 'show', eventId)
    expect(event.stdout).toMatch(
      /^ {2}crm {2}succeeded {2}dlv_\w+ {2}attempts 1 this cycle \(replay 1\), 3 in all/m,
    )
    expect(event.stdout).toMatch(/^ {4}1 \(replay 1\) +\S+ \S+ +[\d.]+ ms +succeeded$/m)
  })
})
