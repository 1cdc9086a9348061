import type { Logger } from '../observe/logger.js'
import type { GhlInstallationStore } from '../store/types.js'

/**
 * What the hot paths need to know about locations, in memory: which ones uninstalled the app
 * (ingest flags their events and, with GHL_UNINSTALLED_EVENTS=skip, plans no deliveries for them)
 * and which carry a tenant id. Read from the installations every `refreshMs` (one read of two small
 * partial indexes: sql/ghl-location-facts.ts) and at once after a change this process made, so
 * no event and no delivery asks the database. Another process's change is seen within `refreshMs`.
 */
export class GhlLocationFacts {
  #uninstalled: ReadonlySet<string> = new Set()
  #tenants: ReadonlyMap<string, string> = new Map()
  #timer: NodeJS.Timeout | undefined
  #loading: Promise<void> | undefined

  constructor(
    private readonly options: {
      store: Pick<GhlInstallationStore, 'ghlLocationFacts'>
      appId: string
      logger: Logger
      /** @default 5 s */
      refreshMs?: number
      /** Facts kept at most (uninstalled locations and tenant ids together). @default 100,000 */
      limit?: number
    },
  ) {}

  isUninstalled(locationId: string): boolean {
    return this.#uninstalled.has(locationId)
  }

  tenantOf(locationId: string): string | undefined {
    return this.#tenants.get(locationId)
  }

  /** Reads the facts again now (concurrent calls share one read). */
  refresh(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined
    })
    return this.#loading
  }

  /** Loads once, then every `refreshMs`. Idempotent. */
  async start(): Promise<void> {
    if (this.#timer) return
    this.#timer = setInterval(() => {
      this.refresh().catch((error: unknown) =>
        this.options.logger.warn(
          { err: error },
          'reading uninstalled locations and tenant ids failed; trying again',
        ),
      )
    }, this.options.refreshMs ?? 5000)
    this.#timer.unref()
    await this.refresh()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  async #load(): Promise<void> {
    const limit = this.options.limit ?? 100_000
    const facts = await this.options.store.ghlLocationFacts(this.options.appId, limit)
    if (facts.length === limit) {
      this.options.logger.warn(
        { limit },
        'more locations are uninstalled or have a tenant id than are kept in memory',
      )
    }
    this.#uninstalled = new Set(facts.filter((f) => f.uninstalled).map((f) => f.locationId))
    this.#tenants = new Map(facts.flatMap((f) => (f.tenantId === null ? [] : [[f.locationId, f.tenantId]])))
  }
}
