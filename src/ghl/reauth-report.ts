import type { Logger } from '../observe/logger.js'
import type { GhlTokenStore } from '../store/types.js'

/** Owners a report names; the rest are counted (GET /api/ghl/tokens lists them all). */
export const REAUTH_NAMED = 5

/**
 * Once at boot: the GHL tokens GHL refused (needs_reauth), counted, the first few named, and what to
 * do — one warn line, nothing when there are none. Two statements: a page of 5 from the index
 * ghl_tokens_status, and the count only when there is something to count.
 */
export async function logTokensNeedingReauth(store: GhlTokenStore, logger: Logger): Promise<void> {
  const page = await store.listGhlTokens({ status: 'needs_reauth', limit: REAUTH_NAMED })
  if (!page.items.length) return
  const count = page.nextCursor ? await store.countGhlTokens('needs_reauth', 1_000_000) : page.items.length
  const named = page.items.map((row) => `${row.userType.toLowerCase()} ${row.ownerId}`).join(', ')
  logger.warn(
    { count, first: page.items.map(({ appId, userType, ownerId }) => ({ appId, userType, ownerId })) },
    `${count} GHL token${count === 1 ? ' needs' : 's need'} re-authorising (${named}${count > page.items.length ? ', …' : ''}): install the app there again, or set a new Private Integration Token; GET /api/ghl/tokens?status=needs_reauth lists them`,
  )
}
