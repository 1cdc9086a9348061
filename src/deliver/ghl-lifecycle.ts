import { parseStoredBody } from '../catalog/parse-body.js'
import type { AttemptReport } from '../dispatch/attempt.js'
import { retryPolicy } from '../dispatch/retry-policy.js'
import type { Subscriber } from '../dispatch/subscribers.js'
import { GhlNotInstalledError, GhlReauthRequiredError } from '../ghl/errors.js'
import { describe, type GhlInstalls } from '../ghl/installs.js'
import type { GhlLocationFacts } from '../ghl/location-facts.js'
import type { GhlTokens } from '../ghl/tokens.js'
import type { GhlInstallationStore, GhlTokenOwner, GhlTokenStore } from '../store/types.js'
import { PermanentError, RetryableError } from './errors.js'

/**
 * The gateway's own subscriber to GHL's app lifecycle webhooks (registered when a GHL app is
 * configured), run by the worker like every handler: retried, dead-lettered, in the attempt log.
 *
 * - AppInstall (`INSTALL`): records (or refreshes) the installation, then makes sure a token is
 *   obtainable — stored by the code exchange, or minted from the agency's token. When neither is
 *   there yet (GHL sends INSTALL before, or while, the callback exchanges the code) the attempt is
 *   retried after INSTALL_RACE_DELAY: never dropped, never skipped. An INSTALL received before an
 *   uninstall this gateway already applied changes nothing (it is older news; checked in the
 *   install's own statement). One location's (or agency's) lifecycle events run one at a time, in
 *   receive order (`ordered: 'entity'`: GHL's entity for them is the app).
 * - AppUninstall (`UNINSTALL`): a location's token is revoked and its installation marked
 *   uninstalled; an agency's (no locationId) revokes the Company token and every Location token of
 *   the company, and marks all their installations.
 * Bodies of another app (`appId`) change nothing.
 */

export const GHL_LIFECYCLE_SUBSCRIBER = 'ghl:installs'
/** Marks the subscriber as the gateway's own (a user handler given the same id is refused). */
const OWN = Symbol('ghl lifecycle subscriber')

/** Whether a registered subscriber is this one (a registry copy keeps the mark). */
export function isGhlLifecycleSubscriber(subscriber: object | undefined): boolean {
  return subscriber !== undefined && OWN in subscriber
}
const INSTALL_RACE_DELAY = '30s'

export interface GhlLifecycleOptions {
  store: GhlInstallationStore & Pick<GhlTokenStore, 'setGhlTokenStatus'>
  tokens: GhlTokens
  installs: GhlInstalls
  facts: GhlLocationFacts
  appId: string
}

export function ghlLifecycleSubscriber(options: GhlLifecycleOptions): Subscriber {
  const subscriber: Subscriber & { [OWN]: true } = {
    [OWN]: true,
    id: GHL_LIFECYCLE_SUBSCRIBER,
    kind: 'handler',
    events: ['AppInstall', 'AppUninstall'],
    sources: ['ghl'],
    // One location's (or agency's) INSTALL and UNINSTALL run one at a time, in receive order.
    ordered: 'entity',
    // An install race lasts seconds; a day of retries covers a callback that failed and was redone.
    retry: retryPolicy({ maxAge: '24h', maxAttempts: 40 }),
    concurrency: 4,
    timeoutMs: 30_000,
    run: async (delivery, { now }) => {
      try {
        const body = parseStoredBody(delivery.event) as Record<string, unknown>
        if (typeof body.appId === 'string' && body.appId !== options.appId) return { outcome: 'success' }
        const locationId = text(body.locationId)
        const companyId = text(body.companyId)
        if (delivery.event.eventName === 'AppInstall') {
          return await installed(options, { locationId, companyId }, delivery.event.receivedAt, now)
        }
        return await uninstalled(options, { locationId, companyId }, now)
      } catch (error) {
        if (error instanceof RetryableError)
          return { outcome: 'retry', error, retryAfterMs: error.retryAfterMs }
        if (error instanceof PermanentError) return { outcome: 'permanent', error }
        return { outcome: 'retry', error: error as Error }
      }
    },
  }
  return subscriber
}

async function installed(
  { store, tokens, installs, facts }: GhlLifecycleOptions,
  ids: { locationId: string | undefined; companyId: string | undefined },
  receivedAt: number,
  now: () => number,
): Promise<AttemptReport> {
  const owner = ids.locationId
    ? installs.owner('Location', ids.locationId)
    : ids.companyId
      ? installs.owner('Company', ids.companyId)
      : undefined
  if (!owner) throw new PermanentError('an AppInstall without locationId or companyId: nothing to install')
  const known = await store.getGhlInstallation(owner)
  const row = await store.recordGhlInstall(
    owner,
    { companyId: ids.companyId ?? null, bulk: false, asOf: receivedAt },
    now(),
  )
  // Older news than an uninstall already applied: the location stays uninstalled.
  if (row.uninstalledAt !== null) return { outcome: 'success' }
  if (known?.uninstalledAt != null) await facts.refresh()
  try {
    await tokens.accessToken(owner)
  } catch (error) {
    // Not stored yet, or still the revoked row of an earlier install: the code exchange is under way.
    if (error instanceof GhlNotInstalledError || error instanceof GhlReauthRequiredError) {
      throw new RetryableError(
        `no token for ${describe(owner)} yet: the install's code exchange has not stored one (install race); retrying`,
        { retryAfter: INSTALL_RACE_DELAY, cause: error },
      )
    }
    throw error
  }
  return { outcome: 'success' }
}

async function uninstalled(
  { store, installs, facts, appId }: GhlLifecycleOptions,
  ids: { locationId: string | undefined; companyId: string | undefined },
  now: () => number,
): Promise<AttemptReport> {
  const at = now()
  if (ids.locationId) {
    const owner = installs.owner('Location', ids.locationId)
    await store.setGhlTokenStatus(
      owner,
      'revoked',
      'the app was uninstalled from the location (AppUninstall)',
      at,
    )
    await ensureRecorded(store, owner, ids.companyId ?? null, at)
    await store.uninstallGhlInstallation(owner, at)
  } else if (ids.companyId) {
    const owner = installs.owner('Company', ids.companyId)
    await ensureRecorded(store, owner, null, at)
    await store.revokeGhlCompanyTokens(
      appId,
      ids.companyId,
      'the agency uninstalled the app (AppUninstall): every location token of it is revoked',
      at,
    )
    await store.uninstallGhlCompany(appId, ids.companyId, at)
  } else {
    throw new PermanentError('an AppUninstall without locationId or companyId: nothing to uninstall')
  }
  await facts.refresh()
  return { outcome: 'success' }
}

/** An uninstall of something never recorded still leaves a row saying it is uninstalled. */
async function ensureRecorded(
  store: GhlInstallationStore,
  owner: GhlTokenOwner,
  companyId: string | null,
  now: number,
): Promise<void> {
  if (!(await store.getGhlInstallation(owner)))
    await store.recordGhlInstall(owner, { companyId, bulk: false }, now)
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
