import { appendFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inject } from 'vitest'
import type { DestinationInput } from '../../src/destinations/schema.js'
import { freshPostgresDatabase, freshSqliteFile } from '../support/databases.js'
import type { SinkRequest } from '../support/sink.js'
import { summaryTable } from './harness-tables.js'

export { countsText, summaryLine, summaryTable } from './harness-tables.js'

/**
 * What the reliability scenarios share: a database per run, a config file with one destination,
 * deadline-based waiting, the sink's books (by `webhook-id`), and the summary table every scenario
 * prints.
 */

export type StoreKind = 'sqlite' | 'postgres'

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A fresh database on the run's embedded PostgreSQL, or a fresh SQLite file. */
export async function chaosDatabase(kind: StoreKind): Promise<{ url: string; cleanup: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const file = freshSqliteFile()
    return { url: file.url, cleanup: async () => file.remove() }
  }
  const database = await freshPostgresDatabase()
  return { url: database.url, cleanup: database.drop }
}

/**
 * A gateway config file with these destinations and the SSRF guard opened for 127.0.0.1 (where
 * the sinks listen). Returns its path; `remove()` deletes it.
 */
export function destinationConfig(destinations: DestinationInput[]): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-chaos-config-'))
  const path = join(dir, 'ghl-gateway.config.json')
  writeFileSync(path, JSON.stringify({ destinations, egress: { allow: ['127.0.0.1'] } }, null, 2))
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** SQLite only: the sizes of the database file and its WAL (0 when absent); undefined for PostgreSQL. */
export function sqliteFileSizes(databaseUrl: string): { dbBytes: number; walBytes: number } | undefined {
  if (!databaseUrl.startsWith('sqlite:')) return undefined
  const path = databaseUrl.slice('sqlite:'.length)
  const size = (file: string) => {
    try {
      return statSync(file).size
    } catch {
      return 0
    }
  }
  return { dbBytes: size(path), walBytes: size(`${path}-wal`) }
}

/** Polls `check` until it returns true or the deadline passes; returns whether it succeeded. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() >= deadline) return false
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())))
  }
}

/** A seed from the environment (`CHAOS_SEED`) to replay a run, else a fresh one. */
export function chaosSeed(): number {
  const given = Number(process.env.CHAOS_SEED)
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31)
}

/** mulberry32: a seeded random source for fault plans and kill moments. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

// ---------------------------------------------------------------------------------------------
// The sink's books

/** How the sink chose to answer one request. */
export type ReplyKind = 'ok' | 'slow-ok' | '5xx' | 'hang' | 'reset' | 'slow-timeout' | 'poison'

export interface SinkBooks {
  /** Every request, in arrival order, with the sink's reply. */
  record(request: SinkRequest, kind: ReplyKind): void
  /** Requests per `webhook-id` (the gateway's event id). */
  byEventId: Map<string, { request: SinkRequest; kind: ReplyKind }[]>
  /** A request whose 2xx answer was written in full: the receiver took the event. */
  tookIt(entry: { request: SinkRequest; kind: ReplyKind }): boolean
  /**
   * The receiver's dedupe on `webhook-id`: event ids it processed (took at least once), and how
   * many times the body's GHL `webhookId` was processed under a different event id (an
   * effective duplicate the dedupe cannot catch).
   */
  processed(): { eventIds: Set<string>; ghlWebhookIds: Map<string, Set<string>> }
  /** The event ids taken at least once (cheap: no body parsing), for drain loops. */
  takenIds(): Set<string>
  total(): number
}

export function sinkBooks(): SinkBooks {
  const byEventId = new Map<string, { request: SinkRequest; kind: ReplyKind }[]>()
  let total = 0
  const tookIt = (entry: { request: SinkRequest; kind: ReplyKind }) =>
    (entry.kind === 'ok' || entry.kind === 'slow-ok') && entry.request.answer === 'complete'
  return {
    byEventId,
    tookIt,
    total: () => total,
    takenIds: () => new Set([...byEventId].filter(([, entries]) => entries.some(tookIt)).map(([id]) => id)),
    record(request, kind) {
      total++
      const id = String(request.headers['webhook-id'] ?? '(none)')
      const list = byEventId.get(id)
      if (list) list.push({ request, kind })
      else byEventId.set(id, [{ request, kind }])
    },
    processed() {
      const eventIds = new Set<string>()
      const ghlWebhookIds = new Map<string, Set<string>>()
      for (const [eventId, entries] of byEventId) {
        const took = entries.find(tookIt)
        if (!took) continue
        eventIds.add(eventId)
        let webhookId = '(unparsable)'
        try {
          webhookId = String(
            (JSON.parse(took.request.body.toString('utf8')) as { webhookId?: unknown }).webhookId,
          )
        } catch {}
        const ids = ghlWebhookIds.get(webhookId)
        if (ids) ids.add(eventId)
        else ghlWebhookIds.set(webhookId, new Set([eventId]))
      }
      return { eventIds, ghlWebhookIds }
    },
  }
}

const recorded = new Map<string, Record<string, unknown>[]>()

/**
 * Keeps a run's row for this file's table (`printSummaries`, in an afterAll) and, under
 * `npm run chaos`, appends it to the run's results file, printed as one table per scenario when
 * the whole suite ends (test/chaos/summary-setup.ts).
 */
export function recordSummary(scenario: string, row: Record<string, unknown>): void {
  recorded.set(scenario, [...(recorded.get(scenario) ?? []), row])
  const file = inject('chaosResultsFile')
  if (file) appendFileSync(file, `${JSON.stringify({ scenario, row })}\n`)
}

/** Prints this file's summary tables. */
export function printSummaries(): void {
  for (const [scenario, rows] of recorded) console.info(summaryTable(scenario, rows))
}
