import net from 'node:net'
import fc from 'fast-check'
import { expect } from 'vitest'
import { ERROR_CODES } from '../../src/errors.js'
import { freshSqliteFile } from '../support/databases.js'
import {
  createTestKeyPair,
  type GatewayProcess,
  httpRequest,
  postWebhook,
  signedWebhook,
  startGatewayProcess,
} from '../support/gateway-process.js'
import { contentHash } from '../support/ghl-sender.js'
import { storeReader } from '../support/store-reader.js'
import { createTestApp } from '../support/test-app.js'
import {
  type FuzzRequest,
  fuzzRequestArb,
  type RawFuzzRequest,
  rawFuzzRequestArb,
  serialize,
} from './fuzz-requests.js'
import { countsText, summaryLine } from './harness.js'

/**
 * Bad-input fuzzing with fast-check (generators in fuzz-requests.ts): bad JSON, deep nesting, huge
 * bodies around MAX_BODY_BYTES, wrong and odd content types, bad/absent/`N/A`/replayed/tampered
 * signatures, header injection, odd Unicode (lone surrogates, BOMs, NUL, overlong UTF-8), random
 * paths and methods, form bodies and per-event URL junk.
 *
 * Most requests go through `fastify.inject()` on an in-process app (createTestApp, SQLite) in
 * batches of 32 at once; a few thousand go over real sockets to the real binary, as HTTP/1.1
 * bytes we write ourselves — which adds what inject cannot express: real CR/LF header injection,
 * request smuggling shapes, bad chunking, pipelining, oversized headers.
 *
 * Properties, per answer: never a 5xx; a 2xx, or the catalog's error body (`{error: {code,
 * message, requestId}}` with a code from ERROR_CODES and that code's status); where docs/errors.md
 * decides the status (bad signature 401, wrong media type 415, too large 413, …), that status;
 * `x-request-id` never reflects junk; no `set-cookie`. Per run: the process is still up and still
 * accepts a good webhook, no unhandled rejection, and every stored event is verified and is
 * byte-for-byte a body we signed correctly (0 unauthenticated events stored).
 */

export interface FuzzOptions {
  /** Requests through inject(). */
  injectRuns: number
  /** Requests over sockets to the real binary (about a fifth of them raw HTTP messages). */
  socketRuns: number
  seed: number
  maxBodyBytes?: number
  log?: (line: string) => void
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/

export interface FuzzResult {
  seed: number
  injectRequests: number
  socketRequests: number
  rawRequests: number
  answers: Map<string, number>
  families: Map<string, number>
  fiveXX: number
  violations: number
  violationExamples: string[]
  unhandledRejections: number
  storedInProcess: number
  storedBinary: number
  unauthenticatedStored: number
  binaryAlive: boolean
  binaryErrorLogLines: number
  seconds: number
}

interface Tally {
  answers: Map<string, number>
  families: Map<string, number>
  fiveXX: number
  violations: string[]
  violationCount: number
}

const bump = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n)

function describeRequest(request: FuzzRequest): string {
  const headers = request.headers.map(([n, v]) => `${n}: ${JSON.stringify(v.slice(0, 60))}`).join('; ')
  return `${request.family} ${request.method} ${JSON.stringify(request.path.slice(0, 80))} [${headers}] body ${request.body.length} B ${JSON.stringify(request.body.subarray(0, 80).toString('latin1'))}`
}

/** Checks one answer; returns a violation message or undefined. */
function judge(
  tally: Tally,
  answer: { status: number; headers: Record<string, unknown>; text: string },
  context: { method: string; signedOk: boolean; expect?: readonly number[]; family: string; body?: Buffer },
): string | undefined {
  const { status, text } = answer
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  const requestId = answer.headers['x-request-id']
  if (requestId !== undefined && !(typeof requestId === 'string' && REQUEST_ID.test(requestId)))
    return `x-request-id reflects junk: ${JSON.stringify(requestId)}`
  if (answer.headers['set-cookie'] !== undefined)
    return `set-cookie in the answer: ${answer.headers['set-cookie']}`
  if (status >= 500) {
    tally.fiveXX++
    const code = (body as { error?: { code?: string } } | undefined)?.error?.code
    bump(tally.answers, `${status} ${code ?? text.slice(0, 40)}`)
    return `${status} ${text.slice(0, 200)}`
  }
  if (status >= 200 && status < 300) {
    const outcome = (body as { status?: string } | undefined)?.status
    bump(tally.answers, outcome ? `${status} ${outcome}` : String(status))
    if ((outcome === 'accepted' || outcome === 'duplicate') && !context.signedOk)
      return `${status} ${outcome} for a body without a correct signature`
  } else if (context.method === 'HEAD') {
    bump(tally.answers, `${status} (HEAD: no body)`)
  } else {
    const error = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown } } | undefined)
      ?.error
    const code = error?.code
    if (
      typeof code === 'string' &&
      code in ERROR_CODES &&
      ERROR_CODES[code as keyof typeof ERROR_CODES] === status &&
      typeof error?.message === 'string' &&
      typeof error.requestId === 'string'
    ) {
      bump(tally.answers, `${status} ${code}`)
    } else {
      bump(tally.answers, `${status} (not the catalog)`)
      return `not a catalog answer: ${status} ${text.slice(0, 200)}`
    }
  }
  if (context.expect && !context.expect.includes(status))
    return `${context.family}: ${status} where docs/errors.md says ${context.expect.join(' or ')}: ${text.slice(0, 160)}`
  return undefined
}

/** Records a violation; keeps up to three examples of each kind (its first 50 characters). */
function violation(tally: Tally, message: string, request: string): void {
  tally.violationCount++
  const kind = message.slice(0, 50)
  const same = tally.violations.filter((v) => v.startsWith(kind)).length
  if (same < 3 && tally.violations.length < 40) tally.violations.push(`${message}\n    request: ${request}`)
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP over a socket

interface RawAnswer {
  status: number
  headers: Record<string, string>
  text: string
}

/** Parses every HTTP/1.1 response in `bytes` (a connection read to its end). */
function parseResponses(bytes: Buffer, headRequests: boolean[]): RawAnswer[] {
  const answers: RawAnswer[] = []
  let at = 0
  for (let n = 0; n < 16 && at < bytes.length; n++) {
    const end = bytes.indexOf('\r\n\r\n', at)
    if (end < 0) break
    const lines = bytes.subarray(at, end).toString('latin1').split('\r\n')
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0)
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    at = end + 4
    let body: Buffer
    if (headRequests[n] || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      body = Buffer.alloc(0)
    } else if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      const parts: Buffer[] = []
      for (let guard = 0; guard < 10_000; guard++) {
        const lineEnd = bytes.indexOf('\r\n', at)
        if (lineEnd < 0) break
        const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16)
        at = lineEnd + 2
        if (!Number.isFinite(size) || size === 0) {
          at = bytes.indexOf('\r\n', at) + 2
          break
        }
        parts.push(bytes.subarray(at, at + size))
        at += size + 2
      }
      body = Buffer.concat(parts)
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length'])
      body = bytes.subarray(at, at + length)
      at += length
    } else {
      body = bytes.subarray(at)
      at = bytes.length
    }
    if (status >= 100 && status < 200) continue
    answers.push({ status, headers, text: body.toString('utf8') })
  }
  return answers
}

/**
 * Writes `bytes` on a new connection and reads until the server closes it. The client does not
 * half-close at once: Node's server aborts a request whose client sent FIN before the answer
 * (`httpAllowHalfOpen: false`), which a real sender never does. After `halfCloseMs` without the
 * server closing (a request that waits for bytes that never come), it does, and after `timeoutMs`
 * it gives up.
 */
function sendRaw(
  port: number,
  bytes: Buffer,
  halfCloseMs = 1500,
  timeoutMs = 15_000,
): Promise<{ bytes: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let error: string | undefined
    const halfClose = setTimeout(() => socket.end(), halfCloseMs)
    const timer = setTimeout(() => {
      error = 'timeout'
      socket.destroy()
    }, timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', (e) => {
      error = e.message
    })
    socket.on('close', () => {
      clearTimeout(halfClose)
      clearTimeout(timer)
      resolve({ bytes: Buffer.concat(chunks), error })
    })
    socket.write(bytes)
  })
}

// ---------------------------------------------------------------------------------------------

export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now()
  const log = options.log ?? (() => {})
  const maxBodyBytes = options.maxBodyBytes ?? 65_536
  const keys = createTestKeyPair()
  const tally: Tally = {
    answers: new Map(),
    families: new Map(),
    fiveXX: 0,
    violations: [],
    violationCount: 0,
  }
  const signedHashes = new Set<string>()
  let unhandled = 0
  const onUnhandled = (reason: unknown) => {
    unhandled++
    violation(tally, `unhandled rejection: ${String(reason).slice(0, 200)}`, '(process)')
  }
  process.on('unhandledRejection', onUnhandled)
  const ctx = { privateKey: keys.privateKey, maxBodyBytes }

  // --- in process, through inject() ---
  const app = await createTestApp('sqlite', {
    GHL_ED25519_PUBLIC_KEYS: keys.publicKeyBase64,
    MAX_BODY_BYTES: String(maxBodyBytes),
    LOG_LEVEL: 'warn',
  })
  let injectRequests = 0
  let storedInProcess = 0
  let unauthenticatedStored = 0
  try {
    const batch = 32
    await fc.assert(
      fc.asyncProperty(
        fc.array(fuzzRequestArb(ctx), { minLength: batch, maxLength: batch }),
        async (requests) => {
          await Promise.all(
            requests.map(async (request) => {
              injectRequests++
              bump(tally.families, request.family)
              if (request.signedOk) signedHashes.add(contentHash(request.body))
              const headers: Record<string, string> = {}
              for (const [name, value] of request.headers) headers[name] = value
              let answer: { status: number; headers: Record<string, unknown>; text: string }
              try {
                const response = await app.gateway.fastify.inject({
                  method: request.method as 'POST',
                  url: request.path,
                  headers,
                  payload: request.body.length ? request.body : undefined,
                })
                answer = { status: response.statusCode, headers: response.headers, text: response.body }
              } catch (error) {
                // inject() refusing a request it cannot build is the test's limit, not the gateway's.
                bump(tally.answers, `inject refused (${(error as Error).message.slice(0, 40)})`)
                if (process.env.CHAOS_DEBUG)
                  console.log('inject refused', (error as Error).stack, describeRequest(request))
                return
              }
              const problem = judge(tally, answer, request)
              if (problem) violation(tally, problem, describeRequest(request))
            }),
          )
          return true
        },
      ),
      { numRuns: Math.ceil(options.injectRuns / batch), seed: options.seed },
    )
    // Still alive and still taking good webhooks.
    const good = signedWebhook(keys.privateKey, {
      type: 'ContactCreate',
      webhookId: `after-fuzz-${options.seed}`,
    })
    signedHashes.add(contentHash(good.body))
    const after = await app.gateway.fastify.inject({
      method: 'POST',
      url: '/webhooks/ghl',
      headers: good.headers,
      payload: good.body,
    })
    expect(after.statusCode, 'the in-process app still accepts a good webhook').toBe(200)
    let cursor: string | undefined
    for (let page = 0; page < 10_000; page++) {
      const { items, nextCursor } = await app.store.listEvents({}, { limit: 500, cursor })
      for (const event of items) {
        storedInProcess++
        if (!event.verification.verified || !signedHashes.has(event.contentHash)) {
          unauthenticatedStored++
          violation(
            tally,
            `stored but not a body we signed correctly: ${event.id} ${event.contentHash}`,
            '(store)',
          )
        }
      }
      if (!nextCursor) break
      cursor = nextCursor
    }
  } finally {
    await app.close()
  }
  log(
    `[fuzz] inject: ${injectRequests} requests, ${storedInProcess} stored, ${Math.round((Date.now() - started) / 1000)} s`,
  )

  // --- over sockets, to the real binary ---
  const file = freshSqliteFile()
  let gateway: GatewayProcess | undefined
  let socketRequests = 0
  let rawRequests = 0
  let storedBinary = 0
  let binaryAlive = false
  let binaryErrorLogLines = 0
  try {
    gateway = await startGatewayProcess({
      databaseUrl: file.url,
      keyPair: keys,
      env: { MAX_BODY_BYTES: String(maxBodyBytes) },
    })
    const port = gateway.port
    const rawCount = Math.round(options.socketRuns / 5)
    const plain = fc.sample(fuzzRequestArb(ctx), {
      numRuns: options.socketRuns - rawCount,
      seed: options.seed + 1,
    })
    const raw = fc.sample(rawFuzzRequestArb(ctx), { numRuns: rawCount, seed: options.seed + 2 })
    type Job = { kind: 'plain'; request: FuzzRequest } | { kind: 'raw'; request: RawFuzzRequest }
    const jobs: Job[] = [
      ...plain.map((request): Job => ({ kind: 'plain', request })),
      ...raw.map((request): Job => ({ kind: 'raw', request })),
    ]
    let next = 0
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!
        if (job.kind === 'plain') {
          const request = job.request
          socketRequests++
          bump(tally.families, `socket:${request.family}`)
          if (request.signedOk) signedHashes.add(contentHash(request.body))
          const { bytes, error } = await sendRaw(port, serialize(request))
          const answers = parseResponses(bytes, [request.method === 'HEAD'])
          // A header value with CR, LF or NUL really splits (or breaks) the message on a socket:
          // the docs' expectation is for the request as meant, so only the invariants apply.
          const injected = request.headers.some(([, v]) => /[\r\n\0]/.test(v))
          if (!answers.length) {
            bump(tally.answers, `socket closed without an answer${error ? ` (${error})` : ''}`)
            if (!injected) violation(tally, `no answer (${error ?? 'closed'})`, describeRequest(request))
          }
          for (const answer of answers) {
            const problem = judge(tally, answer, {
              ...request,
              expect: injected ? undefined : request.expect,
            })
            if (problem) violation(tally, `socket: ${problem}`, describeRequest(request))
          }
        } else {
          const request = job.request
          rawRequests++
          bump(tally.families, request.family)
          for (const body of request.signedBodies) signedHashes.add(contentHash(body))
          const { bytes, error } = await sendRaw(port, request.raw)
          const answers = parseResponses(bytes, [])
          if (!answers.length)
            bump(tally.answers, `raw: closed without an answer${error ? ` (${error})` : ''}`)
          for (const answer of answers) {
            const problem = judge(tally, answer, { method: 'POST', signedOk: true, family: request.family })
            if (problem)
              violation(
                tally,
                `raw: ${problem}`,
                `${request.family} ${JSON.stringify(request.raw.subarray(0, 200).toString('latin1'))}`,
              )
          }
        }
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))

    binaryAlive = gateway.isRunning() && (await httpRequest(`${gateway.url}/healthz`)).status === 200
    const good = signedWebhook(keys.privateKey, {
      type: 'ContactCreate',
      webhookId: `after-socket-fuzz-${options.seed}`,
    })
    signedHashes.add(contentHash(good.body))
    expect((await postWebhook(gateway.url, good)).status, 'the binary still accepts a good webhook').toBe(200)
    for (const row of await storeReader(file.url).events()) {
      storedBinary++
      if (!row.verified || !signedHashes.has(row.contentHash)) {
        unauthenticatedStored++
        violation(
          tally,
          `binary stored a body we did not sign correctly: ${row.id} ${row.contentHash}`,
          '(store)',
        )
      }
    }
    binaryErrorLogLines = gateway.jsonLogs().filter((line) => Number(line.level) >= 50).length
    expect(await gateway.stop(), 'the binary drains and exits 0').toEqual({ code: 0, signal: null })
  } finally {
    await gateway?.kill('SIGKILL')
    file.remove()
    process.off('unhandledRejection', onUnhandled)
  }

  const result: FuzzResult = {
    seed: options.seed,
    injectRequests,
    socketRequests,
    rawRequests,
    answers: tally.answers,
    families: tally.families,
    fiveXX: tally.fiveXX,
    violations: tally.violationCount,
    violationExamples: tally.violations,
    unhandledRejections: unhandled,
    storedInProcess,
    storedBinary,
    unauthenticatedStored,
    binaryAlive,
    binaryErrorLogLines,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  }
  log(fuzzSummary(result))
  log(`[fuzz] answers by status/code: ${countsText(result.answers)}`)
  log(`[fuzz] requests by family: ${countsText(result.families)}`)
  return result
}

export function fuzzSummary(r: FuzzResult): string {
  return summaryLine('fuzz', fuzzRow(r))
}

/** The figures of one run, as a row of the summary table. */
export function fuzzRow(r: FuzzResult): Record<string, unknown> {
  return {
    requests: r.injectRequests + r.socketRequests + r.rawRequests,
    inject: r.injectRequests,
    socket: r.socketRequests,
    'raw-http': r.rawRequests,
    crashes: (r.binaryAlive ? 0 : 1) + r.unhandledRejections,
    '5xx': r.fiveXX,
    violations: r.violations,
    stored: r.storedInProcess + r.storedBinary,
    'unauthenticated-stored': r.unauthenticatedStored,
    seconds: r.seconds,
  }
}

export function expectFuzzGuarantees(r: FuzzResult): void {
  const context = `seed ${r.seed} (CHAOS_SEED=${r.seed} replays it)`
  expect(r.violationExamples, `${context}: ${r.violations} violations`).toEqual([])
  expect(r.fiveXX, `${context}: 5xx answers`).toBe(0)
  expect(r.unhandledRejections, context).toBe(0)
  expect(r.binaryAlive, `${context}: the binary is still up`).toBe(true)
  expect(r.unauthenticatedStored, context).toBe(0)
  expect(
    r.storedInProcess,
    `${context}: some good webhooks were stored (the fuzzer is not all noise)`,
  ).toBeGreaterThan(0)
}
