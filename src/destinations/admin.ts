import { misspeltPatterns } from '../catalog/event-patterns.js'
import type { ReportOperational, TypeMapper } from '../catalog/index.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import { type Env, substituteEnv } from '../env-substitution.js'
import { coerceError, GatewayError } from '../errors.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import type { Store, StoredDestination } from '../store/types.js'
import { formatIssues } from '../zod-issues.js'
import { ORPHAN_REASON } from './config-claims.js'
import { pausedReport } from './operational-reports.js'
import { restoreSecrets } from './redact.js'
import { type DestinationDefinition, destinationSchema } from './schema.js'

export interface DestinationAdminDeps {
  store: Store
  registry: SubscriberRegistry
  /** Resolves `${NAME}` references in documents. */
  env: Env
  /** Published types (renames), for refusing misspelt event patterns. */
  types: TypeMapper
  now: () => number
  wake: () => void
  logger: Logger
  metrics: Metrics
  /** This process's destinations: a change made here applies at once. */
  set: { applyRow(row: StoredDestination): boolean; forget(id: string): void; probeNow(id: string): boolean }
  /** An operator's pause, for the operational events. @default none */
  report?: ReportOperational | undefined
}

/**
 * What the admin API does to destinations (src/api/destinations-routes.ts): API destinations are
 * created, replaced and deleted; config-file ones only paused and resumed (their definition lives
 * in the file). An orphan (a config destination no running process's file defines) can be paused,
 * deleted — its open deliveries go to the dead-letter queue, an explicit and logged choice — or
 * adopted as an API destination by a PUT with its full definition (secrets included: the store
 * never had them). It cannot be resumed: no process could send for it. Each change is written to
 * the store, then applied to this process's registry at once; other processes see it at their
 * next reload.
 */
export class DestinationAdmin {
  readonly #d: DestinationAdminDeps

  constructor(deps: DestinationAdminDeps) {
    this.#d = deps
  }

  async get(id: string): Promise<StoredDestination> {
    const row = await this.#d.store.getDestination(id)
    if (!row) throw new GatewayError('not_found', `no destination ${id}`)
    return row
  }

  list(): Promise<StoredDestination[]> {
    return this.#d.store.listDestinations()
  }

  async create(document: unknown): Promise<StoredDestination> {
    const { definition } = parseDestinationDocument(document, this.#d.env)
    refuseMisspeltPatterns(definition, this.#d.types)
    const { doc, missing } = restoreSecrets(document as Record<string, unknown>, undefined)
    if (missing.length) {
      throw new GatewayError(
        'invalid_request',
        `invalid destination: ${missing.join(', ')}: send the secret, not "***"`,
      )
    }
    if (this.#d.registry.get(definition.id)?.kind === 'handler') {
      throw new GatewayError('conflict', `"${definition.id}" is the id of a handler registered in code`)
    }
    const inserted = await this.#d.store.insertDestination(
      { id: definition.id, origin: 'api', definition: doc, enabled: definition.enabled },
      this.#d.now(),
    )
    if (!inserted) {
      throw new GatewayError(
        'conflict',
        `a destination ${definition.id} exists; PUT /api/destinations/${definition.id} edits it`,
      )
    }
    return this.#refresh(definition.id)
  }

  async replace(id: string, document: unknown): Promise<StoredDestination> {
    const row = await this.get(id)
    this.#refuseLiveConfig(row, 'edit')
    if (document === null || typeof document !== 'object' || Array.isArray(document)) {
      throw new GatewayError('invalid_request', 'invalid destination: send a JSON object')
    }
    const incoming = { ...(document as Record<string, unknown>) }
    incoming.id ??= id
    if (incoming.id !== id)
      throw new GatewayError('invalid_request', `invalid destination: id: must be "${id}" (the URL's)`)
    const { doc, missing } = restoreSecrets(incoming, row.definition)
    if (missing.length) {
      throw new GatewayError(
        'invalid_request',
        `invalid destination: ${missing.join(', ')}: "***" keeps a stored secret, and there is none to keep; send the secret`,
      )
    }
    const { definition } = parseDestinationDocument(doc, this.#d.env)
    refuseMisspeltPatterns(definition, this.#d.types)
    const now = this.#d.now()
    await this.#d.store.replaceDestination(
      { id, origin: 'api', definition: doc, enabled: definition.enabled },
      now,
    )
    if (row.origin === 'config') {
      // Adopted: it runs again, unless someone paused it for another reason meanwhile.
      if (row.stateReason === ORPHAN_REASON)
        await this.#d.store.setDestinationState(id, 'active', null, now, ['paused'])
      this.#d.logger.info(
        { destination: id },
        `orphaned destination ${id} adopted through the admin API: it is now an API destination, with its deliveries`,
      )
    }
    return this.#refresh(id)
  }

  async remove(id: string): Promise<{ deleted: boolean; deadLettered: number }> {
    const row = await this.get(id)
    this.#refuseLiveConfig(row, 'delete')
    const orphan = row.origin === 'config'
    const result = await this.#d.store.deleteDestination(
      id,
      this.#d.now(),
      `the destination ${id} was deleted${orphan ? ' (an orphan: no running gateway had it in its config file)' : ''}`,
    )
    // The store refuses a config destination that a process claimed since it was read.
    if (!result.deleted && orphan && (await this.#d.store.getDestination(id))) {
      throw new GatewayError(
        'conflict',
        `destination ${id} is no longer orphaned: a gateway with it in its config file started; nothing was deleted`,
      )
    }
    this.#d.set.forget(id)
    if (result.deleted) {
      this.#d.logger.warn(
        { destination: id, origin: row.origin, deadLettered: result.deadLettered },
        `destination ${id} deleted through the admin API; ${result.deadLettered} open deliveries moved to the dead-letter queue (replay them with: ghl-gateway dlq replay --subscriber ${id})`,
      )
    }
    return result
  }

  async pause(id: string, reason: string | undefined): Promise<StoredDestination> {
    const row = await this.get(id)
    if (row.state === 'disabled') {
      throw new GatewayError(
        'conflict',
        `destination ${id} is disabled (enabled: false); there is nothing to pause`,
      )
    }
    const why = reason ?? 'paused by an operator'
    await this.#d.store.setDestinationState(id, 'paused', why, this.#d.now(), ['active', 'paused'])
    if (row.state === 'active') this.#d.report?.(pausedReport(id, 'operator', why))
    return this.#refresh(id)
  }

  async resume(id: string): Promise<StoredDestination> {
    const row = await this.get(id)
    if (row.orphanedAt !== null) {
      throw new GatewayError(
        'conflict',
        `destination ${id} is orphaned: no running gateway has it in its config file, so none could send its deliveries. Start a gateway with the config file that defines it (it resumes by itself), adopt it with PUT /api/destinations/${id} and its full definition, or delete it`,
      )
    }
    if (row.state === 'disabled') {
      throw new GatewayError(
        'conflict',
        `destination ${id} is disabled (enabled: false); enable it in its definition`,
      )
    }
    await this.#d.store.setDestinationState(id, 'active', null, this.#d.now(), ['paused', 'active'])
    return this.#refresh(id)
  }

  /**
   * "Probe now": records the request in the store, applies it here at once (an open circuit
   * becomes half-open: the next due delivery is the probe) and asks the other processes to reload
   * now (PostgreSQL NOTIFY; they also see it at their next reload). A closed circuit stays closed —
   * the request still tells the processes whose circuit is open. A paused, disabled or orphaned
   * destination sends nothing, so there is nothing to probe: `conflict`.
   */
  async probe(id: string): Promise<StoredDestination> {
    const row = await this.get(id)
    if (row.state !== 'active') {
      throw new GatewayError(
        'conflict',
        row.orphanedAt !== null
          ? `destination ${id} is orphaned: no running gateway can send for it, so there is nothing to probe`
          : `destination ${id} is ${row.state}: it sends nothing, so there is nothing to probe; ${row.state === 'paused' ? `resume it (POST /api/destinations/${id}/resume)` : 'enable it in its definition'} first`,
      )
    }
    const probed = await this.#requestProbes([id], 'manual')
    return probed[0] ?? row
  }

  /**
   * Deliveries were replayed into these subscribers (undefined: into any): each active destination
   * among them gets a probe request, so one whose circuit is open tries at once instead of sitting
   * out its cooldown with the replayed deliveries waiting. Never fails the replay: logged.
   */
  async probeAfterReplay(subscriberIds: readonly string[] | undefined): Promise<void> {
    try {
      const wanted = subscriberIds && new Set(subscriberIds)
      const rows = await this.#d.store.listDestinations()
      const ids = rows.filter((r) => r.state === 'active' && (!wanted || wanted.has(r.id))).map((r) => r.id)
      if (ids.length) await this.#requestProbes(ids, 'replay')
    } catch (error) {
      this.#d.logger.warn({ err: error }, 'could not ask for a probe of the destinations replayed into')
    }
  }

  async #requestProbes(ids: readonly string[], reason: 'manual' | 'replay'): Promise<StoredDestination[]> {
    const { store, metrics } = this.#d
    const rows: StoredDestination[] = []
    for (const id of ids) {
      const row = await store.requestDestinationProbe(id, this.#d.now())
      if (!row) continue
      metrics.destinationProbeRequests.inc({ destination: id, reason })
      // applyRow notes the request as seen; probeNow acts on it even when an earlier request had
      // the same value (two in one millisecond: the others act once, which is all they need).
      this.#d.set.applyRow(row)
      this.#d.set.probeNow(id)
      rows.push(row)
    }
    this.#d.wake()
    if (store.traits.crossProcessWakeups) await store.announceWork('destinations')
    return rows
  }

  /** Applies this process's own change at once (others pick it up at their next reload). */
  async #refresh(id: string): Promise<StoredDestination> {
    const row = await this.get(id)
    this.#d.set.applyRow(row)
    this.#d.wake()
    return row
  }

  /** A config destination a running process defines is the file's; an orphan is no one's. */
  #refuseLiveConfig(row: StoredDestination, what: string): void {
    if (row.origin === 'config' && row.orphanedAt === null) {
      throw new GatewayError(
        'conflict',
        what === 'delete'
          ? `destination ${row.id} is defined in the config file; remove it there and restart: it is then kept as an orphan, paused with its deliveries, until you delete it here (pause and resume work here)`
          : `destination ${row.id} is defined in the config file; ${what} it there and restart (pause and resume work here)`,
      )
    }
  }
}

/**
 * Validates an API document with the config file's schema, after resolving `${NAME}`
 * references. Throws `invalid_request` naming each bad field.
 */
export function parseDestinationDocument(document: unknown, env: Env): { definition: DestinationDefinition } {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new GatewayError('invalid_request', 'invalid destination: send a JSON object')
  }
  let resolved: unknown
  try {
    resolved = substituteEnv(document, env)
  } catch (error) {
    throw new GatewayError('invalid_request', `invalid destination: ${coerceError(error).message}`)
  }
  const result = destinationSchema.safeParse(resolved)
  if (!result.success) {
    throw new GatewayError('invalid_request', `invalid destination: ${formatIssues(result.error.issues)}`, {
      details: { issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    })
  }
  return { definition: result.data }
}

/**
 * A new or edited destination whose event pattern is a typo would never receive that event. Checked
 * on create and replace only: a definition stored before keeps running.
 */
function refuseMisspeltPatterns(definition: DestinationDefinition, types: TypeMapper): void {
  const problems = misspeltPatterns(definition, types)
  if (problems.length === 0) return
  throw new GatewayError(
    'invalid_request',
    `invalid destination: ${problems.map((p) => `events.${p.index}: ${p.message}`).join('; ')}`,
    { details: { issues: problems.map((p) => ({ path: `events.${p.index}`, message: p.message })) } },
  )
}
