import { randomBytes } from 'node:crypto'
import type { ReportOperational } from '../catalog/index.js'
import type { Logger } from '../observe/logger.js'
import type { Metrics } from '../observe/metrics.js'
import type {
  GhlTokenCiphertexts,
  GhlTokenLease,
  GhlTokenOwner,
  GhlTokenRow,
  GhlTokenStore,
  GhlUserType,
} from '../store/types.js'
import {
  GhlNotInstalledError,
  GhlOAuthRejectedError,
  GhlReauthRequiredError,
  GhlTokenUnavailableError,
} from './errors.js'
import type { GhlLocationMinter } from './location-minter.js'
import type { GhlGrant, GhlOAuthClient } from './oauth-client.js'
import {
  isPrivateToken,
  privateTokenOwner,
  privateTokenRefused,
  storePrivateToken,
} from './private-tokens.js'
import { decryptToken, encryptToken } from './token-cipher.js'
import type { TokenKeyRing } from './token-keys.js'

/**
 * The token engine: a valid access token for a location or company, refreshed under a lease every
 * process on the database shares, so one refresh token is sent to GHL once however many processes
 * and callers want a token at the same moment.
 *
 * `accessToken(owner)` reads the row. A token with more than `refreshMarginMs` left (and not
 * invalidated after a 401) is returned as it is. Otherwise the caller takes the row's lease (one
 * conditional UPDATE: exactly one process wins) and decides again from the row the lease returned —
 * another process may have refreshed in between — then posts the refresh token, encrypts the new
 * pair with the current key and saves it with a compare-and-swap on the version the lease gave it.
 * A caller that loses the race uses the current token while it is still valid, else waits for the
 * holder (polling the row) until the pair changes or the lease expires.
 *
 * Crashes: GHL rotates the pair when it answers, and for 30 s answers the old refresh token with the
 * same new pair. The lease (12 s) is longer than the token request's timeout (8 s) and much shorter
 * than 30 s, so a holder that died after GHL rotated leaves an expired lease behind, and whoever comes
 * next — a caller, or the sweep every running process makes every few seconds (`start()`) — posts the
 * old refresh token again in time and stores the same new pair. A timeout or a 5xx leaves the lease
 * the same way (`interrupted`): GHL may have rotated.
 *
 * Private Integration Tokens (private-tokens.ts) come out of `accessToken` the same way: a location
 * without the app's own token gets its PIT. They never expire, so they are handed out as stored until
 * `invalidate` reports a 401, which takes the same lease and, finding no refresh token, marks the row
 * needs_reauth. Refresh tokens GHL would let die after a year unused are refreshed by `refreshAged`
 * (hourly from `start()`), also under the lease.
 *
 * This file is over 300 lines because the lease protocol (resolve, refresh, recover, aged) is one
 * state machine whose steps must be read together.
 */

export interface GhlTokensOptions {
  store: GhlTokenStore
  keys: TokenKeyRing
  /** GHL's token endpoint; absent when no GHL app is configured (Private Integration Tokens only). */
  oauth?: GhlOAuthClient
  /** The GHL app (GHL_APP_ID); `private` when none is configured. */
  appId: string
  logger: Logger
  metrics?: Pick<Metrics, 'ghlTokenRefreshes'>
  /** This process, as the lease names it. @default a random id */
  holder?: string
  /** @default Date.now */
  now?: () => number
  /** Refresh when less than this is left. @default 5 minutes */
  refreshMarginMs?: number
  /** How long a refresh may hold the row; longer than the token request's timeout, well under GHL's 30 s. @default 12 s */
  leaseMs?: number
  /** How often a caller waiting for another process's refresh reads the row again. @default 100 ms */
  pollMs?: number
  /** How often `start()` looks for interrupted refreshes. @default 3 s */
  sweepMs?: number
  /** Refresh a refresh token left unused this long (GHL's die after a year unused). @default 300 days */
  refreshIdleMs?: number
  /** How often `start()` looks for such refresh tokens. @default 1 hour */
  agedSweepMs?: number
  /** Refresh tokens one look refreshes at most (the next look takes the rest). @default 50 */
  agedBatch?: number
  /** Mints Location tokens from their agency's token (bulk installs; see `#mintable`). @default none */
  locationMinter?: GhlLocationMinter
  /** A token became needs_reauth: the operational events. @default none */
  report?: ReportOperational
}

/** GHL's grace for a reused refresh token: what the lease and the sweep must stay well inside. */
const GHL_GRACE_MS = 30_000

export class GhlTokens {
  readonly #o: Required<Omit<GhlTokensOptions, 'metrics' | 'oauth' | 'locationMinter' | 'report'>> &
    Pick<GhlTokensOptions, 'metrics' | 'oauth' | 'locationMinter' | 'report'>
  /** One lookup per owner at a time in this process; concurrent callers share it. */
  readonly #pending = new Map<string, Promise<string>>()
  /** Access tokens a caller saw answered with 401, by owner: refreshed at the next request. */
  readonly #rejected = new Map<string, string>()
  /** Which owner an access token handed out belongs to (for `invalidate(token)`). */
  readonly #ownerOf = new Map<string, GhlTokenOwner>()
  readonly #tokenOf = new Map<string, string>()
  #sweep: NodeJS.Timeout | undefined
  #agedSweep: NodeJS.Timeout | undefined

  constructor(options: GhlTokensOptions) {
    this.#o = {
      holder: `${process.pid}:${randomBytes(6).toString('hex')}`,
      now: Date.now,
      refreshMarginMs: 5 * 60_000,
      leaseMs: 12_000,
      pollMs: 100,
      sweepMs: 3000,
      refreshIdleMs: 300 * 86_400_000,
      agedSweepMs: 3_600_000,
      agedBatch: 50,
      // An option given as undefined keeps its default.
      ...(Object.fromEntries(
        Object.entries(options).filter(([, value]) => value !== undefined),
      ) as GhlTokensOptions),
    }
    const { leaseMs } = this.#o
    const requestMs = options.oauth?.timeoutMs ?? 0
    if (!(leaseMs > requestMs && leaseMs + this.#o.sweepMs < GHL_GRACE_MS - requestMs)) {
      throw new RangeError(
        `the refresh lease (${leaseMs} ms) must outlast the token request (${requestMs} ms) and, with the sweep, end well inside GHL's 30 s grace`,
      )
    }
  }

  /** The owner of a location token (a string), or of the given user type. */
  owner(id: string, userType: GhlUserType = 'Location'): GhlTokenOwner {
    return { appId: this.#o.appId, userType, ownerId: id }
  }

  /** A valid access token for a location (a string) or an owner. */
  accessToken(target: string | GhlTokenOwner): Promise<string> {
    const owner = typeof target === 'string' ? this.owner(target) : target
    const key = ownerKey(owner)
    let pending = this.#pending.get(key)
    if (!pending) {
      pending = this.#lookUp(owner).finally(() => this.#pending.delete(key))
      this.#pending.set(key, pending)
    }
    return pending
  }

  /**
   * GHL answered 401 to this access token: the next `accessToken` for its owner refreshes (once). A
   * Private Integration Token cannot be refreshed: its row becomes needs_reauth now, for every process.
   */
  invalidate(token: string): void {
    const owner = this.#ownerOf.get(token)
    if (!owner) return
    this.#rejected.set(ownerKey(owner), token)
    if (isPrivateToken(owner)) this.accessToken(owner).catch(() => {})
  }

  /** Stores a Private Integration Token for a location or company (private-tokens.ts). */
  setPrivateToken(userType: GhlUserType, ownerId: string, token: string): Promise<{ created: boolean }> {
    return storePrivateToken(
      this.#o.store,
      this.#o.keys,
      privateTokenOwner(userType, ownerId),
      token,
      this.#o.now(),
    )
  }

  /** Removes a Private Integration Token; false when none was set. */
  removePrivateToken(userType: GhlUserType, ownerId: string): Promise<boolean> {
    return this.#o.store.deleteGhlToken(privateTokenOwner(userType, ownerId))
  }

  /** Stores a pair from a code exchange (an install): encrypted with the current key, the row active. */
  async saveGrant(
    owner: GhlTokenOwner,
    grant: GhlGrant,
    companyId: string | null = null,
  ): Promise<GhlTokenRow> {
    const now = this.#o.now()
    return this.#o.store.putGhlToken(owner, { ...this.#seal(owner, grant, now), companyId }, now)
  }

  /** Looks for interrupted refreshes every `sweepMs` (and at once) and finishes them. Idempotent. */
  start(): void {
    if (this.#sweep) return
    const run = () => {
      this.recoverInterrupted().catch((error: unknown) =>
        this.#o.logger.warn(
          { err: error },
          'looking for interrupted GHL token refreshes failed; trying again',
        ),
      )
    }
    this.#sweep = setInterval(run, this.#o.sweepMs)
    this.#sweep.unref()
    run()
    const aged = () => {
      this.refreshAged().catch((error: unknown) =>
        this.#o.logger.warn(
          { err: error },
          'looking for GHL refresh tokens close to expiry failed; trying again',
        ),
      )
    }
    this.#agedSweep = setInterval(aged, this.#o.agedSweepMs)
    this.#agedSweep.unref()
    aged()
  }

  stop(): void {
    clearInterval(this.#sweep)
    clearInterval(this.#agedSweep)
    this.#sweep = undefined
    this.#agedSweep = undefined
  }

  /**
   * Refreshes refresh tokens left unused for `refreshIdleMs` (GHL's die after a year unused), at
   * most `agedBatch` per call, oldest first; returns how many it refreshed. Each goes through the
   * lease like any refresh, and is decided again from the row the lease returns: a caller or another
   * process that refreshed it meanwhile leaves nothing to do, so no refresh token is sent twice.
   */
  async refreshAged(): Promise<number> {
    const { store, now, holder, leaseMs, refreshIdleMs, logger } = this.#o
    if (!this.#o.oauth) return 0
    const owners = await store.agedGhlTokens(now() - refreshIdleMs, this.#o.agedBatch)
    let refreshed = 0
    for (const owner of owners) {
      if (owner.appId !== this.#o.appId) continue
      const leased = await store.leaseGhlToken(owner, holder, leaseMs, now())
      if (!leased) continue
      const lastUsed = leased.refreshedAt ?? leased.createdAt
      if (leased.refreshToken === null || lastUsed >= now() - refreshIdleMs) {
        await store.endGhlTokenLease(owner, lease(leased, holder), 'free', now())
        continue
      }
      logger.info(
        { userType: owner.userType, ownerId: owner.ownerId, lastUsedAt: new Date(lastUsed).toISOString() },
        `refreshing the GHL token of ${describe(owner)}: its refresh token was last used ${Math.floor((now() - lastUsed) / 86_400_000)} days ago`,
      )
      await this.#refresh(owner, leased).then(
        () => refreshed++,
        () => {},
      )
    }
    return refreshed
  }

  /** Finishes refreshes left interrupted by a crash or a lost answer; returns how many it finished. */
  async recoverInterrupted(): Promise<number> {
    const owners = await this.#o.store.interruptedGhlTokens(20, this.#o.now())
    let finished = 0
    for (const owner of owners) {
      if (owner.appId !== this.#o.appId) continue
      const leased = await this.#o.store.leaseGhlToken(owner, this.#o.holder, this.#o.leaseMs, this.#o.now())
      if (!leased) continue
      this.#o.logger.warn(
        { userType: owner.userType, ownerId: owner.ownerId },
        'finishing an interrupted GHL token refresh',
      )
      await this.#refresh(owner, leased).then(
        () => finished++,
        () => {},
      )
    }
    return finished
  }

  /**
   * The app's own token of the owner; when the app has none there (no row), the owner's Private
   * Integration Token. An app row that is needs_reauth or revoked does not fall through: it says so.
   */
  async #lookUp(owner: GhlTokenOwner): Promise<string> {
    if (isPrivateToken(owner)) return this.#resolve(owner)
    try {
      return await this.#resolve(owner)
    } catch (error) {
      if (!(error instanceof GhlNotInstalledError)) throw error
      const pit = privateTokenOwner(owner.userType, owner.ownerId)
      return await this.#resolve(pit).catch((second: unknown) => {
        throw second instanceof GhlNotInstalledError
          ? new GhlNotInstalledError(
              `no GHL token is stored for ${describe(owner)}: the app is not installed there and no Private Integration Token is set for it`,
            )
          : second
      })
    }
  }

  async #resolve(owner: GhlTokenOwner): Promise<string> {
    const { store, now, leaseMs, pollMs, holder } = this.#o
    const deadline = now() + leaseMs + (this.#o.oauth?.timeoutMs ?? 0)
    for (;;) {
      const row = await store.getGhlToken(owner)
      if (this.#mintable(owner, row)) {
        const minted = await this.#mint(owner, row)
        if (minted !== undefined) return this.#handOut(owner, minted)
      }
      const current = this.#usable(owner, row)
      if (current.fresh) return this.#handOut(owner, current.token)
      const leased = await store.leaseGhlToken(owner, holder, leaseMs, now())
      if (leased) {
        // The re-read: another process may have refreshed since `row` was read.
        const again = this.#usable(owner, leased)
        if (again.fresh) {
          await store.endGhlTokenLease(owner, lease(leased, holder), 'free', now())
          return this.#handOut(owner, again.token)
        }
        return this.#handOut(owner, await this.#refresh(owner, leased))
      }
      // Another process holds the lease: its refresh is under way.
      if (current.valid) return this.#handOut(owner, current.token)
      if (now() >= deadline) {
        throw new GhlTokenUnavailableError(
          `the GHL token of ${describe(owner)} is being refreshed by another process, which did not finish in time; try again`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }
  }

  /** Whether a row's access token can be used: `fresh` (no refresh needed) or at least `valid`. */
  #usable(
    owner: GhlTokenOwner,
    row: GhlTokenRow | undefined,
  ): { token: string; fresh: boolean; valid: boolean } {
    if (!row) {
      throw new GhlNotInstalledError(
        isPrivateToken(owner)
          ? `no Private Integration Token is set for ${describe(owner)}`
          : `no GHL token is stored for ${describe(owner)}: the app is not installed there`,
      )
    }
    if (row.status !== 'active') {
      const fix = isPrivateToken(owner)
        ? 'set a new Private Integration Token for it'
        : 'install the app there again'
      throw new GhlReauthRequiredError(
        `the GHL token of ${describe(owner)} is ${row.status}${row.statusReason ? ` (${row.statusReason})` : ''}: ${fix}`,
      )
    }
    const token = decryptToken(row.accessToken, owner, 'access', row.keyId, this.#o.keys)
    const left = row.expiresAt === null ? Number.POSITIVE_INFINITY : row.expiresAt - this.#o.now()
    const rejected = this.#rejected.get(ownerKey(owner)) === token
    return { token, fresh: !rejected && left > this.#o.refreshMarginMs, valid: !rejected && left > 0 }
  }

  /**
   * The one hook for minted Location tokens (location-minter.ts): a location with no token row (a
   * bulk install's location; an AppInstall before anything was stored), or whose minted token (no
   * refresh token: v2 mints carry none; an expiry: not a Private Integration Token) is due or was
   * refused, gets a new one from its company's token. Revoked and needs_reauth rows are never minted
   * over: an uninstall stays an uninstall. Two processes may both mint: each mint is a valid token
   * and nothing at GHL rotates, so the last write wins and no lease is needed.
   */
  #mintable(owner: GhlTokenOwner, row: GhlTokenRow | undefined): boolean {
    if (!this.#o.locationMinter || owner.userType !== 'Location') return false
    if (!row) return true
    return (
      row.status === 'active' &&
      row.refreshToken === null &&
      row.expiresAt !== null &&
      !this.#usable(owner, row).fresh
    )
  }

  /** Mints and stores a Location token; undefined when no company token can mint it. */
  async #mint(owner: GhlTokenOwner, row: GhlTokenRow | undefined): Promise<string | undefined> {
    const minted = await this.#o.locationMinter!.mint(owner.ownerId, row?.companyId ?? null)
    if (!minted) return undefined
    const now = this.#o.now()
    const sealed = this.#seal(owner, minted.token, now)
    await this.#o.store.putGhlToken(owner, { ...sealed, companyId: minted.companyId }, now)
    this.#rejected.delete(ownerKey(owner))
    return minted.token.accessToken
  }

  /** Posts the refresh token of a leased row and stores what GHL answers. */
  async #refresh(owner: GhlTokenOwner, leased: GhlTokenRow): Promise<string> {
    const { store, oauth, logger, metrics, now, holder } = this.#o
    const held = lease(leased, holder)
    const where = { userType: owner.userType, ownerId: owner.ownerId }
    if (leased.refreshToken === null || !oauth) {
      // A Private Integration Token GHL refused (or, without an app configured, a token nobody can refresh).
      const reason = isPrivateToken(owner)
        ? privateTokenRefused(owner)
        : `the GHL token of ${describe(owner)} expired and cannot be refreshed${oauth ? '' : ' (no GHL app is configured: GHL_CLIENT_ID)'}`
      await store.setGhlTokenStatus(owner, 'needs_reauth', reason, now(), held)
      logger.error(where, reason)
      this.#o.report?.(reauthReport(owner, reason))
      throw new GhlReauthRequiredError(reason)
    }
    let refreshToken: string
    try {
      refreshToken = decryptToken(leased.refreshToken, owner, 'refresh', leased.keyId, this.#o.keys)
    } catch (error) {
      await store.endGhlTokenLease(owner, held, 'free', now())
      throw error
    }
    let grant: GhlGrant
    try {
      grant = await oauth.refresh(refreshToken, owner.userType)
    } catch (error) {
      if (error instanceof GhlReauthRequiredError) {
        await store.setGhlTokenStatus(owner, 'needs_reauth', error.message, now(), held)
        metrics?.ghlTokenRefreshes.inc({ outcome: 'invalid_grant' })
        this.#o.report?.(reauthReport(owner, error.message))
        logger.error(
          where,
          `GHL refused the refresh token of ${describe(owner)} (invalid_grant): it needs the app installed again`,
        )
        throw error
      }
      // A refusal rotated nothing: the lease is simply freed. Anything else may have: interrupted.
      const end = error instanceof GhlOAuthRejectedError ? 'free' : 'interrupted'
      await store.endGhlTokenLease(owner, held, end, now())
      metrics?.ghlTokenRefreshes.inc({ outcome: 'failed' })
      logger.warn({ ...where, err: error }, `refreshing the GHL token of ${describe(owner)} failed`)
      throw error
    }
    const at = now()
    const saved = await store.saveRefreshedGhlToken(owner, held, this.#seal(owner, grant, at), at)
    metrics?.ghlTokenRefreshes.inc({ outcome: 'refreshed' })
    if (!saved) {
      // Our lease was taken over (we were too slow) or a re-install replaced the row: the pair GHL
      // gave us is valid, but the row's is the one to keep.
      logger.warn(
        where,
        `the refreshed GHL token of ${describe(owner)} was not stored: the row changed meanwhile`,
      )
    }
    this.#rejected.delete(ownerKey(owner))
    return grant.accessToken
  }

  #seal(
    owner: GhlTokenOwner,
    grant: Pick<GhlGrant, 'accessToken' | 'expiresIn' | 'scope'> & { refreshToken: string | null },
    now: number,
  ): GhlTokenCiphertexts {
    const key = this.#o.keys.current
    return {
      keyId: key.id,
      accessToken: encryptToken(grant.accessToken, owner, 'access', key),
      refreshToken:
        grant.refreshToken === null ? null : encryptToken(grant.refreshToken, owner, 'refresh', key),
      expiresAt: now + grant.expiresIn * 1000,
      scopes: grant.scope,
    }
  }

  #handOut(owner: GhlTokenOwner, token: string): string {
    // One entry per owner: its previous token is forgotten.
    const key = ownerKey(owner)
    const previous = this.#tokenOf.get(key)
    if (previous !== token) {
      if (previous !== undefined) this.#ownerOf.delete(previous)
      this.#tokenOf.set(key, token)
      this.#ownerOf.set(token, owner)
    }
    return token
  }
}

function lease(row: GhlTokenRow, holder: string): GhlTokenLease {
  return { holder, version: row.version }
}

function ownerKey(owner: GhlTokenOwner): string {
  return `${owner.appId}\u0000${owner.userType}\u0000${owner.ownerId}`
}

function reauthReport(owner: GhlTokenOwner, reason: string): Parameters<ReportOperational>[0] {
  const { appId, userType, ownerId } = owner
  return {
    type: 'gateway.ghl.reauth_required',
    subject: `${appId}|${userType}|${ownerId}`,
    details: {
      appId,
      userType,
      ownerId,
      reason,
      message: `the GHL token of ${describe(owner)} needs re-authorising (${reason}): install the app there again, or set a new Private Integration Token`,
      consolePath: '/ui/ghl-tokens',
    },
  }
}

function describe(owner: GhlTokenOwner): string {
  return `${owner.userType.toLowerCase()} ${owner.ownerId}`
}
