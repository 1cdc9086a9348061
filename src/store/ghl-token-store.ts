import type { Page } from './page.js'

/**
 * OAuth tokens of the GHL app: one row per installed location or company (table `ghl_tokens`), the
 * tokens encrypted by src/ghl/ before they get here — the store only ever sees ciphertexts.
 *
 * Status, and every transition:
 * - (none) → active: an install's code exchange stores the pair (`putGhlToken`).
 * - active → active: a refresh stores the new pair (`saveRefreshedGhlToken`, under the lease).
 * - active → needs_reauth: GHL refused the refresh token (`invalid_grant`; `setGhlTokenStatus`).
 * - active | needs_reauth → revoked: the app was uninstalled (`setGhlTokenStatus`).
 * - any → active: the location installs the app again (`putGhlToken`).
 * - any → (none): a Private Integration Token is removed (`deleteGhlToken`).
 *
 * A Private Integration Token (docs/ghl-apps.md) is a row of app `private` (PRIVATE_TOKEN_APP_ID)
 * with no refresh token and no expiry; GHL refusing it (401) is active → needs_reauth, and setting
 * a new one is `putGhlToken` again.
 *
 * The lease: whoever refreshes a row first takes its lease (`leaseGhlToken`: holder and expiry, one
 * conditional UPDATE), which every process on the database sees; it ends with the new pair saved,
 * with the row released, or by expiring. `version` goes up by one at every write, and the writes a
 * lease holder makes check it (compare-and-swap): a holder whose lease expired and was taken by
 * another process changes nothing. A lease left with its holder and an expiry in the past is an
 * interrupted refresh (the holder crashed, or GHL's answer never came): GHL may already have rotated
 * the pair, and the old refresh token gets the same new pair only for 30 seconds, so whoever sees it
 * first finishes the refresh (`interruptedGhlTokens`).
 */

export const GHL_TOKEN_STATUSES = ['active', 'needs_reauth', 'revoked'] as const
export type GhlTokenStatus = (typeof GHL_TOKEN_STATUSES)[number]

/** The app id of Private Integration Tokens' rows: they belong to no marketplace app. */
export const PRIVATE_TOKEN_APP_ID = 'private'

export const GHL_USER_TYPES = ['Location', 'Company'] as const
/** GHL's `userType`: a location (sub-account) token or a company (agency) token. */
export type GhlUserType = (typeof GHL_USER_TYPES)[number]

/** Whose token: the app, and the location or company it was installed on. */
export interface GhlTokenOwner {
  /** The GHL app (GHL_APP_ID). */
  appId: string
  userType: GhlUserType
  /** The locationId of a Location token, the companyId of a Company token. */
  ownerId: string
}

/** A token pair as stored: encrypted, with the id of the key that encrypted both. */
export interface GhlTokenCiphertexts {
  keyId: string
  accessToken: Buffer
  /** null for a token GHL does not refresh (a Private Integration Token). */
  refreshToken: Buffer | null
  /** When the access token expires (epoch ms); null when it does not. */
  expiresAt: number | null
  /** GHL's `scope`, as it sent it (space-separated). */
  scopes: string
}

export interface GhlTokenRow extends GhlTokenOwner, GhlTokenCiphertexts {
  /** The agency a location belongs to, when GHL said. */
  companyId: string | null
  status: GhlTokenStatus
  /** Why the status is what it is (GHL's error for needs_reauth), for people. */
  statusReason: string | null
  /** +1 at every write. */
  version: number
  leaseHolder: string | null
  leaseUntil: number | null
  refreshedAt: number | null
  createdAt: number
  updatedAt: number
}

/** A row as listings show it: no ciphertexts. */
export interface GhlTokenSummary extends GhlTokenOwner {
  companyId: string | null
  status: GhlTokenStatus
  statusReason: string | null
  /** Whether it has a refresh token (false: a Private Integration Token). */
  refreshable: boolean
  refreshedAt: number | null
  createdAt: number
  updatedAt: number
}

export interface GhlTokenQuery {
  status: GhlTokenStatus
  limit: number
  /** Opaque cursor from a previous page (ghl-token-cursor.ts). */
  cursor?: string
}

/** A lease as its holder knows it: the writes it makes under it check both. */
export interface GhlTokenLease {
  holder: string
  version: number
}

export interface GhlTokenStore {
  getGhlToken(owner: GhlTokenOwner): Promise<GhlTokenRow | undefined>
  /**
   * Stores a pair from a code exchange (an install or re-install): the row becomes active, any lease
   * ends (a refresh in flight then saves nothing: the install's pair is newer).
   */
  putGhlToken(
    owner: GhlTokenOwner,
    tokens: GhlTokenCiphertexts & { companyId: string | null },
    now: number,
  ): Promise<GhlTokenRow>
  /**
   * Takes the refresh lease of an active row whose lease is free or expired, for `leaseMs`; returns
   * the row as it is now (the caller decides again from it: another process may have refreshed
   * since it last read), or undefined when another process holds the lease or the row is not active.
   * Expiry is on the database's clock where processes on several hosts share it (PostgreSQL).
   */
  leaseGhlToken(
    owner: GhlTokenOwner,
    holder: string,
    leaseMs: number,
    now: number,
  ): Promise<GhlTokenRow | undefined>
  /** Stores a refreshed pair and ends the lease; undefined (nothing written) when the lease was lost. */
  saveRefreshedGhlToken(
    owner: GhlTokenOwner,
    lease: GhlTokenLease,
    tokens: GhlTokenCiphertexts,
    now: number,
  ): Promise<GhlTokenRow | undefined>
  /**
   * Ends a lease without a new pair. `free`: nothing was sent to GHL, or GHL refused (it rotated
   * nothing). `interrupted`: GHL may have rotated (a timeout, a 5xx): the holder stays and the lease
   * expires now, so the next reader finishes the refresh within GHL's 30 s. False when the lease was lost.
   */
  endGhlTokenLease(
    owner: GhlTokenOwner,
    lease: GhlTokenLease,
    end: 'free' | 'interrupted',
    now: number,
  ): Promise<boolean>
  /**
   * Sets the status (and its reason); with `lease`, only as that lease's holder, and the lease ends.
   * False when nothing changed (no such row, or the lease was lost).
   */
  setGhlTokenStatus(
    owner: GhlTokenOwner,
    status: GhlTokenStatus,
    reason: string | null,
    now: number,
    lease?: GhlTokenLease,
  ): Promise<boolean>
  /** One row per key id in use (any row encrypted with it): what the boot check decrypts. */
  sampleGhlTokensByKey(): Promise<GhlTokenRow[]>
  /** Active rows whose refresh was interrupted (a holder, its lease expired), at most `limit`. */
  interruptedGhlTokens(limit: number, now: number): Promise<GhlTokenOwner[]>
  /** Rows per status, every status present (0 when none): the gauge, doctor, the console. */
  countGhlTokensByStatus(): Promise<Record<GhlTokenStatus, number>>
  /** Rows of one status, counted up to `cap`: bounded work for a page load. */
  countGhlTokens(status: GhlTokenStatus, cap: number): Promise<number>
  /** Rows of one status in key order (app, user type, owner id), without ciphertexts. */
  listGhlTokens(query: GhlTokenQuery): Promise<Page<GhlTokenSummary>>
  /**
   * Active rows with a refresh token last refreshed (or installed) before `before`, oldest first, at
   * most `limit`: refresh tokens GHL would let die after a year unused.
   */
  agedGhlTokens(before: number, limit: number): Promise<GhlTokenOwner[]>
  /** Deletes a row (a Private Integration Token removed); false when there was none. */
  deleteGhlToken(owner: GhlTokenOwner): Promise<boolean>
}
