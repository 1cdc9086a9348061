import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import {
  createTestKeyPair,
  type GatewayProcess,
  httpRequest,
  startGatewayProcess,
} from '../support/gateway-process.js'
import { startGhlSender } from '../support/ghl-sender.js'
import { type Sink, type SinkReply, startSink } from '../support/sink.js'
import { storeReader } from '../support/store-reader.js'
import {
  chaosDatabase,
  countsText,
  destinationConfig,
  type ReplyKind,
  type StoreKind,
  seededRandom,
  sinkBooks,
  summaryLine,
  waitUntil,
} from './harness.js'

/**
 * Destination faults. The real binary delivers every event to one HTTP destination (config file)
 * whose endpoint misbehaves on 30 % of requests — a 5xx, a hang past the 1 s timeout, a connection
 * reset, or a 200 whose body trickles in for 3 s — and takes ~10 % of the rest with a slow but
 * timely body. About 3 % of events are poison (always 500). When everything settled, through the
 * admin API (`GET /api/dlq`, `GET /api/events/:id`) and the database:
 *
 * - every event is either delivered exactly once (one complete 2xx at the sink for its
 *   `webhook-id`) or dead in the DLQ with all its attempts;
 * - every request the sink saw is an attempt the gateway recorded, with the error the fault
 *   implies (HttpStatusError, DestinationTimeout, NetworkError), numbered as the
 *   `x-gateway-attempt` header said;
 * - poison events are all in the DLQ, with exactly `maxAttempts` attempts.
 */

export interface DestinationFaultOptions {
  store: StoreKind
  events: number
  /** First deliveries per second. @default 100 */
  rate?: number
  seed: number
  drainTimeoutMs?: number
  log?: (line: string) => void
}

export interface DestinationFaultResult {
  store: StoreKind
  seed: number
  events: number
  stored: number
  sinkRequests: number
  faults: Record<string, number>
  delivered: number
  deliveredMoreThanOnce: number
  /** Complete 2xx answers the gateway had already timed out on (the receiver has the event twice). */
  lateTakes: number
  /** Attempts the sink answered in time by its plan but the gateway recorded as timeouts (load). */
  unplannedTimeouts: number
  dead: number
  deadPoison: number
  deadUnlucky: number
  dlqListed: number
  deadWithWrongAttempts: number
  attemptsRecorded: number
  attemptMismatches: number
  poisonDelivered: number
  neitherDeliveredNorDead: number
  seconds: number
  examples: { mismatches: string[]; unsettled: string[]; twice: string[]; deadBad: string[] }
}

const MAX_ATTEMPTS = 6
const TIMEOUT_MS = 1000
const ADMIN_TOKEN = 'chaos-admin-token'

/** About 1 event in 33 is poison: its destination always answers 500. */
const isPoison = (eventId: string) => createHash('sha256').update(eventId).digest()[0]! % 33 === 0

/** The error class the gateway must record for each way the sink misbehaved. */
const EXPECTED_CLASS: Record<ReplyKind, string | null> = {
  ok: null,
  'slow-ok': null,
  '5xx': 'HttpStatusError',
  poison: 'HttpStatusError',
  hang: 'DestinationTimeout',
  reset: 'NetworkError',
  'slow-timeout': 'DestinationTimeout',
}

interface ApiAttempt {
  number: number
  outcome: string
  errorClass: string | null
  errorMessage: string | null
}
interface ApiEvent {
  id: string
  deliveries: { id: string; state: string; attemptsInCycle: number; attemptHistory: ApiAttempt[] }[]
}

export async function runDestinationFaults(
  options: DestinationFaultOptions,
): Promise<DestinationFaultResult> {
  const started = Date.now()
  const log = options.log ?? (() => {})
  const random = seededRandom(options.seed)
  const keys = createTestKeyPair()
  const books = sinkBooks()
  const faults = new Map<string, number>()
  const database = await chaosDatabase(options.store)
  let sink: Sink | undefined
  let config: { path: string; remove: () => void } | undefined
  let gateway: GatewayProcess | undefined
  try {
    sink = await startSink((request): SinkReply => {
      const eventId = String(request.headers['webhook-id'])
      const roll = random()
      let kind: ReplyKind
      let reply: SinkReply
      if (isPoison(eventId)) {
        kind = 'poison'
        reply = { status: 500, body: 'poison' }
      } else if (roll < 0.075) {
        kind = '5xx'
        reply = { status: [500, 502, 503][Math.floor(random() * 3)]!, body: 'down' }
      } else if (roll < 0.15) {
        kind = 'hang'
        reply = 'hang'
      } else if (roll < 0.225) {
        kind = 'reset'
        reply = 'reset'
      } else if (roll < 0.3) {
        kind = 'slow-timeout'
        reply = { status: 200, body: 'a slow body that ends after the timeout', trickleMs: TIMEOUT_MS * 3 }
      } else if (roll < 0.37) {
        kind = 'slow-ok'
        reply = { status: 200, body: 'a slow body within the timeout', trickleMs: TIMEOUT_MS / 10 }
      } else {
        kind = 'ok'
        reply = { status: 200, body: 'ok' }
      }
      faults.set(kind, (faults.get(kind) ?? 0) + 1)
      books.record(request, kind)
      return reply
    })
    config = destinationConfig([
      {
        id: 'flaky',
        url: sink.url,
        events: ['*'],
        timeout: `${TIMEOUT_MS}ms`,
        rateLimit: { concurrency: 32 },
        retry: { maxAttempts: MAX_ATTEMPTS, minDelay: '100ms', maxDelay: '400ms' },
      },
    ])
    gateway = await startGatewayProcess({
      databaseUrl: database.url,
      keyPair: keys,
      env: { GATEWAY_CONFIG: config.path, ADMIN_TOKEN, WORKER_POLL_INTERVAL: '200ms' },
    })
    const sender = startGhlSender({
      target: `${gateway.url}/webhooks/ghl`,
      privateKey: keys.privateKey,
      events: options.events,
      rate: options.rate ?? 100,
      seed: options.seed,
      duplicatesPct: 0,
    })
    const report = await sender.done
    expect(report.acknowledged, 'the gateway took every webhook').toBe(report.events)

    const reader = storeReader(database.url)
    const live = gateway
    await waitUntil(
      async () => !live.isRunning() || (await reader.openDeliveries()) === 0,
      options.drainTimeoutMs ?? 120_000,
      250,
    )

    const api = async <T>(path: string): Promise<T> => {
      const answer = await httpRequest(`${live.url}${path}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        timeoutMs: 20_000,
      })
      expect(answer.status, `${path}: ${answer.text.slice(0, 200)}`).toBe(200)
      return answer.body as T
    }
    // The DLQ as the API lists it (all pages).
    const dlq = new Map<string, { eventId: string; attemptsInCycle: number }>()
    let cursor: string | null = null
    for (let page = 0; page < 1000; page++) {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      const body = await api<{
        data: { eventId: string; attemptsInCycle: number }[]
        nextCursor: string | null
      }>(`/api/dlq?limit=500${query}`)
      for (const item of body.data) dlq.set(item.eventId, item)
      cursor = body.nextCursor
      if (!cursor) break
    }

    const rows = await reader.events()
    let delivered = 0
    let dead = 0
    let deadPoison = 0
    let poisonDelivered = 0
    let attemptsRecorded = 0
    let lateTakes = 0
    let unplannedTimeouts = 0
    const twice: string[] = []
    const unsettled: string[] = []
    const mismatches: string[] = []
    const deadBad: string[] = []
    for (const row of rows) {
      const event = await api<ApiEvent>(`/api/events/${row.id}`)
      const delivery = event.deliveries[0]
      const seen = books.byEventId.get(row.id) ?? []
      attemptsRecorded += delivery?.attemptHistory.length ?? 0
      if (!delivery) {
        unsettled.push(`${row.id}: no delivery`)
        continue
      }
      // Each request the sink saw is the attempt its x-gateway-attempt names, recorded with the right error.
      let takenOnSuccess = 0
      for (const entry of seen) {
        const { request, kind } = entry
        const number = Number(request.headers['x-gateway-attempt'])
        const attempt = delivery.attemptHistory.find((a) => a.number === number)
        const expected = EXPECTED_CLASS[kind]
        const failedOutcome = number >= MAX_ATTEMPTS ? 'dead' : 'retry'
        // Any answer can reach the gateway after its 1 s timeout on a machine this loaded; a
        // timeout is then the true record of that attempt. Counted (unplannedTimeouts), not failed.
        const unplannedTimeout =
          kind !== 'hang' &&
          kind !== 'slow-timeout' &&
          attempt?.errorClass === 'DestinationTimeout' &&
          attempt.outcome === failedOutcome
        if (unplannedTimeout) unplannedTimeouts++
        const asPlanned =
          attempt !== undefined &&
          (expected === null
            ? attempt.outcome === 'succeeded' && attempt.errorClass === null
            : attempt.errorClass === expected && attempt.outcome === failedOutcome)
        if (!asPlanned && !unplannedTimeout) {
          mismatches.push(
            `${row.id} attempt ${number} (${kind}): recorded ${attempt ? `${attempt.outcome} ${attempt.errorClass}` : 'nothing'}`,
          )
        }
        if (books.tookIt(entry)) {
          if (attempt?.outcome === 'succeeded') takenOnSuccess++
          // The sink wrote its whole 2xx, but too late for the gateway's timeout: the receiver has
          // it and the gateway, rightly, tries again (at-least-once).
          else lateTakes++
        }
      }
      if (seen.length !== delivery.attemptHistory.length) {
        mismatches.push(
          `${row.id}: sink saw ${seen.length} requests, ${delivery.attemptHistory.length} attempts recorded`,
        )
      }
      if (delivery.state === 'succeeded') {
        delivered++
        if (takenOnSuccess !== 1)
          twice.push(`${row.id}: ${takenOnSuccess} complete 2xx recorded as successes`)
        if (isPoison(row.id)) poisonDelivered++
      } else if (delivery.state === 'dead') {
        dead++
        if (isPoison(row.id)) deadPoison++
        const listed = dlq.get(row.id)
        const outcomes = delivery.attemptHistory.map((a) => a.outcome)
        const wellFormed =
          listed !== undefined &&
          listed.attemptsInCycle === MAX_ATTEMPTS &&
          delivery.attemptHistory.length === MAX_ATTEMPTS &&
          outcomes.slice(0, -1).every((o) => o === 'retry') &&
          outcomes.at(-1) === 'dead' &&
          takenOnSuccess === 0
        if (!wellFormed) {
          deadBad.push(
            `${row.id}: listed ${listed ? `with ${listed.attemptsInCycle} attempts` : 'no'}; attempts ${outcomes.join(',')}`,
          )
        }
      } else {
        unsettled.push(`${row.id}: ${delivery.state}`)
      }
    }
    await gateway.stop()

    const result: DestinationFaultResult = {
      store: options.store,
      seed: options.seed,
      events: report.events,
      stored: rows.length,
      sinkRequests: books.total(),
      faults: Object.fromEntries(faults),
      delivered,
      deliveredMoreThanOnce: twice.length,
      lateTakes,
      unplannedTimeouts,
      dead,
      deadPoison,
      deadUnlucky: dead - deadPoison,
      dlqListed: dlq.size,
      deadWithWrongAttempts: deadBad.length,
      attemptsRecorded,
      attemptMismatches: mismatches.length,
      poisonDelivered,
      neitherDeliveredNorDead: unsettled.length,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      examples: {
        mismatches: mismatches.slice(0, 5),
        unsettled: unsettled.slice(0, 5),
        twice: twice.slice(0, 5),
        deadBad: deadBad.slice(0, 5),
      },
    }
    log(destinationFaultSummary(result))
    log(`[destination-faults ${options.store}] sink replies: ${countsText(faults)}`)
    return result
  } finally {
    await gateway?.kill('SIGKILL')
    await sink?.close()
    config?.remove()
    await database.cleanup()
  }
}

export function destinationFaultSummary(r: DestinationFaultResult): string {
  return summaryLine(`destination-faults ${r.store}`, destinationFaultRow(r))
}

/** The figures of one run, as a row of the summary table. */
export function destinationFaultRow(r: DestinationFaultResult): Record<string, unknown> {
  const faulty =
    (r.faults['5xx'] ?? 0) + (r.faults.hang ?? 0) + (r.faults.reset ?? 0) + (r.faults['slow-timeout'] ?? 0)
  const random = r.sinkRequests - (r.faults.poison ?? 0)
  return {
    store: r.store,
    events: r.events,
    'sink-requests': r.sinkRequests,
    'fault-rate': `${random ? Math.round((faulty * 1000) / random) / 10 : 0}%`,
    delivered: r.delivered,
    'delivered-twice': r.deliveredMoreThanOnce,
    'late-2xx': r.lateTakes,
    'unplanned-timeouts': r.unplannedTimeouts,
    dlq: r.dead,
    'dlq-poison': r.deadPoison,
    'dlq-unlucky': r.deadUnlucky,
    'attempts-recorded': r.attemptsRecorded,
    'attempt-mismatches': r.attemptMismatches,
    unsettled: r.neitherDeliveredNorDead,
    seconds: r.seconds,
  }
}

export function expectDestinationFaultGuarantees(r: DestinationFaultResult): void {
  const context = `seed ${r.seed}`
  expect(r.stored, context).toBe(r.events)
  for (const kind of ['5xx', 'hang', 'reset', 'slow-timeout', 'poison'])
    expect(r.faults[kind] ?? 0, `${context}: the sink produced ${kind}`).toBeGreaterThan(0)
  expect(r.examples.unsettled, `${context}: neither delivered nor dead`).toEqual([])
  expect(r.delivered + r.dead, context).toBe(r.events)
  expect(r.examples.twice, `${context}: delivered more than once`).toEqual([])
  expect(r.examples.deadBad, `${context}: DLQ entries without their attempts`).toEqual([])
  expect(r.dlqListed, `${context}: /api/dlq lists every dead delivery`).toBe(r.dead)
  expect(r.deadPoison, `${context}: every poison event is dead`).toBeGreaterThan(0)
  expect(r.poisonDelivered, context).toBe(0)
  expect(r.examples.mismatches, `${context}: attempts recorded as the sink saw them`).toEqual([])
}
