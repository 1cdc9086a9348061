import type { LookupFunction } from 'node:net'
import type { ReportOperational, TypeMapper } from '../catalog/index.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import type { Env } from '../env-substitution.js'
import { coerceError, GatewayError } from '../errors.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import type { DestinationState, Store, StoredDestination } from '../store/types.js'
import { VERSION } from '../version.js'
import { DestinationAdmin, parseDestinationDocument } from './admin.js'
import { ConfigDestinations, orphanDefinition } from './config-claims.js'
import { HttpClient } from './http/client.js'
import { EgressGuard } from './http/egress-guard.js'
import { DestinationRuntime } from './http/runtime.js'
import { stableJson } from './redact.js'
import type { DestinationDefinition } from './schema.js'

// Over ~300 lines on purpose: one class whose every method reads or changes the installed runtimes
// and the registry in one synchronous step (no webhook may be planned in between); the parts that
// stand alone already live beside it (admin.ts, config-claims.ts, http/runtime.ts).

/**
 * The destinations of this process: loaded from the store (where the config file's are upserted at
 * boot), turned into subscribers in the registry, and kept in step with changes.
 *
 * - Config-file destinations are written to the store at boot as origin `config` with their
 *   secrets redacted; each process runs them from its own config file and environment. One that
 *   no running process's file defines any more is kept, paused, as an orphan — never deleted
 *   behind anyone's back (src/destinations/config-claims.ts).
 * - API destinations are stored as given (secrets too — prefer `${ENV}` references, stored as
 *   references and resolved in each process) and run by every process.
 * - Changes made through this process's API apply at once. Other processes sharing the database
 *   reload every `reloadIntervalMs` (default 10 s): that is the propagation delay of a create,
 *   edit, pause, resume, delete or 410 pause made elsewhere. Each reload also renews this
 *   process's claim on its config destinations.
 */
export interface DestinationSetOptions {
  store: Store
  registry: SubscriberRegistry
  types: TypeMapper
  logger: Logger
  metrics: Metrics
  /** Parsed config-file destinations. @default [] */
  configured?: readonly DestinationDefinition[]
  /** The config file they come from (named in the boot log). */
  configFile?: string
  /** SSRF guard allow-list (config `egress.allow` plus EGRESS_ALLOW). @default [] */
  egressAllow?: readonly string[]
  /** Resolves `${NAME}` in API destinations. @default process.env */
  env?: Env
  /** Deliveries may be due: wake the worker. */
  wake?: () => void
  now?: () => number
  /** @default 10_000 */
  reloadIntervalMs?: number
  /** An unreleased claim on a config destination lasts this long. @default ORPHAN_AFTER_MS (60 s) */
  orphanAfterMs?: number
  /** DNS resolver for the egress guard (tests). @default dns.lookup */
  lookup?: LookupFunction
  /** Pauses and circuit changes, for the operational events. @default none */
  report?: ReportOperational
}

interface Installed {
  runtime: DestinationRuntime
  origin: StoredDestination['origin']
  /** The definition it was built from, to notice edits made elsewhere. */
  key: string
  /** Built from an orphan's stored definition: it only collects deliveries, never sends. */
  orphan: boolean
  /** The row's `probeRequestedAt` this runtime last acted on; undefined until its first row. */
  probeSeen?: number | null
}

export class DestinationSet {
  readonly #o: DestinationSetOptions
  readonly #now: () => number
  readonly #client: HttpClient
  readonly #configured: ReadonlyMap<string, DestinationDefinition>
  readonly #config: ConfigDestinations
  readonly #installed = new Map<string, Installed>()
  /** Problems already logged (a bad stored definition is logged once, not every reload). */
  readonly #reported = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #reloading: Promise<void> | undefined
  /** The admin API's operations (create, replace, delete, pause, resume). */
  readonly admin: DestinationAdmin

  constructor(options: DestinationSetOptions) {
    this.#o = options
    this.#now = options.now ?? Date.now
    this.#configured = new Map((options.configured ?? []).map((d) => [d.id, d]))
    this.#config = new ConfigDestinations({
      store: options.store,
      registry: options.registry,
      logger: options.logger,
      configured: this.#configured,
      configFile: options.configFile,
      now: this.#now,
      orphanAfterMs: options.orphanAfterMs,
    })
    this.#client = new HttpClient({
      guard: new EgressGuard({ allow: options.egressAllow, lookup: options.lookup }),
    })
    this.admin = new DestinationAdmin({
      store: options.store,
      metrics: options.metrics,
      registry: options.registry,
      env: options.env ?? process.env,
      types: options.types,
      now: this.#now,
      wake: () => options.wake?.(),
      logger: options.logger,
      set: this,
      report: options.report,
    })
  }

  /**
   * Writes the config file's destinations to the store, claims them, orphans what no process
   * claims, loads all, says at boot what this process does not run, and starts reloading.
   */
  async start(): Promise<void> {
    await this.#config.write()
    const claimed = await this.#config.claim()
    await this.#load()
    await this.#config.reportAtBoot(claimed)
    const interval = this.#o.reloadIntervalMs ?? 10_000
    if (interval > 0) {
      this.#timer = setInterval(() => {
        this.reload().catch((error: unknown) =>
          this.#o.logger.warn({ err: error }, 'reloading destinations failed; keeping the current ones'),
        )
      }, interval)
      this.#timer.unref()
    }
  }

  /** Stops reloading and releases this process's claims (the store must still be open). */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await this.#reloading?.catch(() => {})
    for (const { runtime } of this.#installed.values()) runtime.close()
    await this.#client.close()
    await this.#config
      .release()
      .catch((error: unknown) =>
        this.#o.logger.warn(
          { err: error },
          'could not release the config destinations; other processes orphan them after their claim lapses',
        ),
      )
  }

  /** The runtime of a destination this process runs (not an orphan's: that one cannot send). */
  runtime(id: string): DestinationRuntime | undefined {
    const installed = this.#installed.get(id)
    return installed?.orphan ? undefined : installed?.runtime
  }

  /** Renews this process's claims, then brings the registry in line with the store (other processes' changes). */
  reload(): Promise<void> {
    this.#reloading ??= this.#reload().finally(() => {
      this.#reloading = undefined
    })
    return this.#reloading
  }

  async #reload(): Promise<void> {
    const claimed = await this.#config.claim()
    await this.#load()
    await this.#config.logChanges(claimed)
  }

  async #load(): Promise<void> {
    const rows = await this.#o.store.listDestinations()
    let changed = false
    for (const row of rows) {
      try {
        changed = this.applyRow(row) || changed
      } catch (error) {
        this.#reportOnce(
          `apply:${row.id}:${row.updatedAt}`,
          `destination ${row.id}: ${coerceError(error).message}`,
        )
      }
    }
    const ids = new Set(rows.map((row) => row.id))
    for (const id of [...this.#installed.keys()]) {
      if (!ids.has(id)) {
        this.forget(id)
        changed = true
      }
    }
    if (changed) this.#o.wake?.()
  }

  /**
   * Installs, rebuilds or updates one destination from its row, and acts on a new probe request
   * (its open circuit becomes half-open at once); true when something changed.
   */
  applyRow(row: StoredDestination): boolean {
    const changed = this.#applyRow(row)
    return this.#takeProbe(row) || changed
  }

  /**
   * A probe request this runtime has not seen: once per reload, never per delivery. A runtime
   * built from this row starts with a closed circuit, so it only notes the value.
   */
  #takeProbe(row: StoredDestination): boolean {
    const installed = this.#installed.get(row.id)
    if (!installed || installed.orphan || installed.probeSeen === row.probeRequestedAt) return false
    const fresh = installed.probeSeen === undefined
    installed.probeSeen = row.probeRequestedAt
    if (fresh || !installed.runtime.breaker?.probeNow(this.#now())) return false
    this.#o.logger.info(
      { destination: row.id, circuit: 'half_open' },
      `destination ${row.id}: probe requested; circuit half-open, the next due delivery is the probe`,
    )
    return true
  }

  /** Probe now in this process: an open circuit becomes half-open; true when it did. */
  probeNow(id: string): boolean {
    const runtime = this.runtime(id)
    return runtime?.breaker?.probeNow(this.#now()) ?? false
  }

  #applyRow(row: StoredDestination): boolean {
    const current = this.#installed.get(row.id)
    const state = { state: row.state, reason: row.stateReason }
    if (row.origin === 'config') {
      const definition = this.#configured.get(row.id)
      if (definition) {
        const key = `config:${stableJson(definition)}`
        if (current?.key === key) return this.#setState(current.runtime, state)
        this.#install(definition, 'config', key, state)
        return true
      }
      if (row.orphanedAt !== null) return this.#applyOrphan(row, current)
      // Another process's file defines it (reportAtBoot said so): that process runs it.
      if (current) this.forget(row.id)
      return current !== undefined
    }
    const key = `api:${stableJson(row.definition)}`
    if (current?.key === key) return this.#setState(current.runtime, state)
    let definition: DestinationDefinition
    try {
      definition = parseDestinationDocument(row.definition, this.#o.env ?? process.env).definition
    } catch (error) {
      this.#reportOnce(
        `${key}`,
        `destination ${row.id} cannot run in this process: ${coerceError(error).message}; its deliveries wait`,
      )
      if (current) this.forget(row.id)
      return current !== undefined
    }
    this.#install(definition, 'api', key, state)
    return true
  }

  /**
   * An orphan collects the deliveries of new matching events here too (nothing may be lost), from
   * its stored definition; it never sends — it is paused, and no process has its secrets.
   */
  #applyOrphan(row: StoredDestination, current: Installed | undefined): boolean {
    const state = {
      state: row.state === 'disabled' ? row.state : ('paused' as const),
      reason: row.stateReason,
    }
    const key = `orphan:${stableJson(row.definition)}`
    if (current?.key === key) return this.#setState(current.runtime, state)
    let definition: DestinationDefinition
    try {
      definition = orphanDefinition(row.definition)
    } catch (error) {
      this.#reportOnce(
        key,
        `orphaned destination ${row.id}: its stored definition does not load (${coerceError(error).message}); new events get no deliveries for it`,
      )
      if (current) this.forget(row.id)
      return current !== undefined
    }
    this.#install(definition, 'config', key, state, true)
    return true
  }

  #setState(runtime: DestinationRuntime, state: { state: DestinationState; reason: string | null }): boolean {
    if (runtime.state === state.state && runtime.stateReason === state.reason) return false
    runtime.setState(state.state, state.reason)
    return true
  }

  #install(
    definition: DestinationDefinition,
    origin: StoredDestination['origin'],
    key: string,
    state: { state: DestinationState; reason: string | null },
    orphan = false,
  ): DestinationRuntime {
    const existing = this.#o.registry.get(definition.id)
    if (existing && existing.kind !== 'destination') {
      throw new GatewayError(
        'conflict',
        `"${definition.id}" is the id of a handler registered in code; give the destination another id`,
      )
    }
    const runtime = new DestinationRuntime(
      definition,
      {
        client: this.#client,
        types: this.#o.types,
        metrics: this.#o.metrics,
        logger: this.#o.logger,
        userAgent: `ghl-gateway/${VERSION}`,
        onGone: async (id, reason) => {
          await this.#o.store.setDestinationState(id, 'paused', reason, this.#now(), ['active'])
        },
        wake: () => this.#o.wake?.(),
        now: this.#now,
        report: this.#o.report,
        // Several processes may share the store: the rate limit is the store's, not each process's.
        takeSharedTokens: this.#o.store.traits.sharedRateLimits
          ? (key, want, limit) => this.#o.store.takeRateTokens(key, want, limit, this.#now())
          : undefined,
      },
      state,
    )
    // Remove and add in one synchronous step: no webhook can be planned in between.
    if (existing) this.#o.registry.remove(definition.id)
    this.#o.registry.add(runtime.subscriber())
    this.#installed.get(definition.id)?.runtime.close()
    this.#installed.set(definition.id, { runtime, origin, key, orphan })
    return runtime
  }

  /** Removes a destination from this process (deleted, or no longer runnable here). */
  forget(id: string): void {
    const installed = this.#installed.get(id)
    if (!installed) return
    if (this.#o.registry.get(id)?.kind === 'destination') this.#o.registry.remove(id)
    installed.runtime.close()
    installed.runtime.forgetMetrics()
    this.#installed.delete(id)
  }

  #reportOnce(key: string, message: string): void {
    if (this.#reported.has(key)) return
    this.#reported.add(key)
    this.#o.logger.error(message)
  }
}
