import { ConfigError } from '../config-error.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import { formatDuration } from '../duration.js'
import type { Logger } from '../observe/logger.js'
import type { Store, StoredDestination } from '../store/types.js'
import { redactSecrets, secretPaths, stableJson } from './redact.js'
import { type DestinationDefinition, destinationSchema } from './schema.js'

/**
 * Config-file destinations in the shared store, and what happens when one leaves every file.
 *
 * Each process writes its file's destinations to the store at boot (secrets redacted) and runs
 * them from its own file and environment. Several processes on one PostgreSQL may run different
 * files — a rolling deploy that adds or removes one, or processes with different jobs — so "not in
 * my file" cannot mean "gone": a process that boots without X must not touch X while another
 * process runs it. Hence a claim, renewed while a process runs:
 *
 * - each process claims its file's destinations at boot and at every reload (~10 s), and
 *   releases them when it stops cleanly (unless another process claimed them after it);
 * - a config destination nobody has claimed for `ORPHAN_AFTER_MS` — or nobody at all since the
 *   last process that had it stopped cleanly — is **orphaned**: paused with `ORPHAN_REASON`,
 *   flagged (API, doctor, logs), kept with all its deliveries. New matching events still get
 *   deliveries (every process plans them from the stored definition), none are sent: no process
 *   has its secrets;
 * - it comes back — flag cleared, resumed unless someone else paused it since — as soon as a
 *   process with it in its file claims it; it goes only when deleted explicitly (API, CLI), which
 *   dead-letters its open deliveries (replayable), or when adopted as an API destination (PUT).
 *
 * A destination that disappears from a file therefore never costs its deliveries, whatever the
 * working directory a gateway was started from.
 */

/** The orphan's pause reason; a claim resumes a destination only while this is still its reason. */
export const ORPHAN_REASON =
  'orphaned: no running gateway has it in its config file. Start the gateway with the config file that defines it (it resumes by itself), or delete it (its open deliveries then go to the dead-letter queue)'

/**
 * How long an unreleased claim lasts: six reloads at the default 10 s, which also absorbs clock
 * differences of up to ~50 s between processes (each writes its claims with its own clock).
 */
export const ORPHAN_AFTER_MS = 60_000

/** What one claim round changed. */
export interface ClaimOutcome {
  /** This process's destinations that were orphans and are back. */
  back: string[]
  /** Destinations nobody claimed in time, orphaned by this round. */
  orphaned: string[]
}

export interface ConfigDestinationsOptions {
  store: Store
  registry: SubscriberRegistry
  logger: Logger
  configured: ReadonlyMap<string, DestinationDefinition>
  configFile?: string
  now: () => number
  /** @default ORPHAN_AFTER_MS */
  orphanAfterMs?: number
}

export class ConfigDestinations {
  readonly #o: ConfigDestinationsOptions
  readonly #ids: string[]
  /** When this process last claimed its destinations (a release undoes only that claim). */
  #claimedAt: number | undefined

  constructor(options: ConfigDestinationsOptions) {
    this.#o = options
    this.#ids = [...options.configured.keys()]
  }

  /** Writes the file's destinations to the store: inserts the new ones, updates the changed ones. */
  async write(): Promise<void> {
    const { store, logger, registry } = this.#o
    const now = this.#o.now()
    const rows = new Map((await store.listDestinations()).map((row) => [row.id, row]))
    for (const definition of this.#o.configured.values()) {
      if (registry.get(definition.id)?.kind === 'handler') {
        throw new ConfigError(
          `config file: destination "${definition.id}" has the id of a handler registered in code; rename one`,
        )
      }
      const write = {
        id: definition.id,
        origin: 'config' as const,
        definition: redactSecrets(definitionDocument(definition)),
        enabled: definition.enabled,
      }
      const row = rows.get(definition.id)
      if (row?.origin === 'api') {
        logger.warn(
          { destination: definition.id },
          `destination ${definition.id} was created through the API and is now in the config file; the file wins`,
        )
      }
      if (!row) {
        if (!(await store.insertDestination(write, now))) await store.replaceDestination(write, now)
      } else if (row.origin !== 'config' || stableJson(row.definition) !== stableJson(write.definition)) {
        await store.replaceDestination(write, now)
      }
    }
  }

  /** Renews this process's claims, then orphans what nobody claimed in time. */
  async claim(): Promise<ClaimOutcome> {
    const { store } = this.#o
    const now = this.#o.now()
    const back = await store.claimConfigDestinations(this.#ids, now, ORPHAN_REASON)
    this.#claimedAt = now
    const orphaned = await store.orphanConfigDestinations(
      now - (this.#o.orphanAfterMs ?? ORPHAN_AFTER_MS),
      now,
      ORPHAN_REASON,
    )
    return { back, orphaned }
  }

  /**
   * This process stops cleanly: its claims end now, not `ORPHAN_AFTER_MS` later — unless another
   * process has claimed since (it still runs them).
   */
  async release(): Promise<void> {
    if (this.#claimedAt !== undefined)
      await this.#o.store.releaseConfigDestinations(this.#ids, this.#claimedAt)
  }

  /** Logs what a claim round changed (after boot: at boot, `reportAtBoot` says it all). */
  async logChanges({ back, orphaned }: ClaimOutcome): Promise<void> {
    for (const id of back) this.#logBack(id)
    if (!orphaned.length) return
    const open = await this.#o.store.countOpenDeliveries(orphaned)
    for (const id of orphaned) {
      this.#o.logger.warn(
        { destination: id, openDeliveries: open.get(id) ?? 0 },
        `destination ${id} is orphaned: no running gateway has claimed it in its config file for ${
          (this.#o.orphanAfterMs ?? ORPHAN_AFTER_MS) / 1000
        } s. ${orphanSentence(id, open.get(id) ?? 0)}`,
      )
    }
  }

  /**
   * At boot: which config file this process runs, and every config destination it does not run —
   * orphans (a warning each, with its open deliveries) and other processes' (info).
   */
  async reportAtBoot({ back }: ClaimOutcome): Promise<void> {
    const { store, logger, configured } = this.#o
    for (const id of back) this.#logBack(id)
    const others = (await store.listDestinations()).filter(
      (row) => row.origin === 'config' && !configured.has(row.id),
    )
    if (!others.length) return
    const open = await store.countOpenDeliveries(others.map((row) => row.id))
    const file = this.#o.configFile ?? 'no config file'
    for (const row of others) {
      const n = open.get(row.id) ?? 0
      if (row.orphanedAt !== null) {
        logger.warn(
          { destination: row.id, openDeliveries: n, configFile: this.#o.configFile ?? null },
          `destination ${row.id} is orphaned: not in this process's config file (${file}) nor in any other running gateway's. ${orphanSentence(row.id, n)}`,
        )
      } else {
        logger.info(
          { destination: row.id, configFile: this.#o.configFile ?? null },
          `destination ${row.id} is not in this process's config file (${file}); ${seenText(row, this.#o.now())}. This process does not run it; if no process claims it within ${
            (this.#o.orphanAfterMs ?? ORPHAN_AFTER_MS) / 1000
          } s it is paused as an orphan (its deliveries are kept)`,
        )
      }
    }
  }

  #logBack(id: string): void {
    this.#o.logger.info(
      { destination: id },
      `destination ${id} is in this process's config file again: no longer orphaned`,
    )
  }
}

function orphanSentence(id: string, open: number): string {
  return `It is paused and kept with its ${open} open deliver${open === 1 ? 'y' : 'ies'}; new events still get deliveries. Start the gateway with the config file that defines it, or delete it explicitly (ghl-gateway destinations delete ${id}), which moves its open deliveries to the dead-letter queue`
}

function seenText(row: StoredDestination, now: number): string {
  return row.configSeenAt === null
    ? 'no running gateway has claimed it since the last one stopped'
    : `another gateway process claimed it ${Math.max(0, Math.round((now - row.configSeenAt) / 1000))} s ago`
}

/**
 * A parsed definition as a document the schema reads back to the same definition: durations as
 * text (`15s`), because a bare number in a document means seconds. Config destinations are stored
 * this way, so the API shows them as a user writes them, and an orphan can be adopted by a PUT of
 * what GET shows (plus its secrets).
 */
export function definitionDocument(definition: DestinationDefinition): Record<string, unknown> {
  const text = (ms: number | undefined) => (ms === undefined ? undefined : formatDuration(ms))
  const { retry, circuitBreaker } = definition
  const durations = {
    timeout: text(definition.timeout),
    retry: {
      ...retry,
      maxAge: text(retry.maxAge),
      minDelay: text(retry.minDelay),
      maxDelay: text(retry.maxDelay),
    },
    circuitBreaker: circuitBreaker && {
      ...circuitBreaker,
      window: text(circuitBreaker.window),
      cooldown: text(circuitBreaker.cooldown),
      maxCooldown: text(circuitBreaker.maxCooldown),
    },
  }
  // JSON drops the durations a definition leaves out (`retry.maxAge`), as the store would.
  return JSON.parse(JSON.stringify({ ...definition, ...durations }))
}

/**
 * The definition an orphan's new events are matched with: the stored document without its
 * credentials (stored as `***`, they would not validate; an orphan sends nothing, so nothing needs
 * them). A row the previous release wrote holds the parsed definition, durations in milliseconds:
 * its `timeout` is a number, where `definitionDocument` always writes text.
 */
export function orphanDefinition(stored: Record<string, unknown>): DestinationDefinition {
  const doc = structuredClone(stored)
  for (const path of secretPaths(doc)) {
    if (path[0] === 'headers') delete (doc.headers as Record<string, unknown>)[path[1] as string]
  }
  delete doc.auth
  delete doc.signing
  const parsedBefore = typeof doc.timeout === 'number'
  return destinationSchema.parse(
    parsedBefore ? definitionDocument(doc as unknown as DestinationDefinition) : doc,
  )
}
