import { createHmac, randomBytes } from 'node:crypto'
import { safeEqual } from '../verify/index.js'

/**
 * The `state` of an install: `/oauth/install` mints one, GHL carries it to `/oauth/callback`, and
 * the callback refuses one this gateway did not mint or that is older than an hour — so a code
 * cannot be slipped into the callback inside a link built elsewhere. Stateless (any replica checks
 * it): `v1.<issued ms base36>.<nonce>.<HMAC-SHA256 of the rest>`, keyed by a key derived from the
 * app's client secret, which every replica has and nobody outside does.
 *
 * A callback with no `state` at all is accepted: installs started from GHL's marketplace listing
 * (not from `/oauth/install`) come back with the code alone — GHL's docs describe no `state`
 * (docs/oauth/Authorization.md) — and refusing them would refuse every such install.
 */

const MAX_AGE_MS = 3_600_000

export function installStateKey(clientSecret: string): Buffer {
  return createHmac('sha256', clientSecret).update('ghl-gateway install state v1').digest()
}

export function issueInstallState(key: Buffer, now: number): string {
  const body = `v1.${now.toString(36)}.${randomBytes(12).toString('base64url')}`
  return `${body}.${mac(key, body)}`
}

/** Why a state is refused, or null when it is ours and fresh. */
export function installStateProblem(key: Buffer, state: string, now: number): string | null {
  const match = /^(v1\.([0-9a-z]{1,12})\.[A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(state)
  if (!match || !safeEqual(Buffer.from(mac(key, match[1]!)), Buffer.from(match[3]!))) {
    return 'the install link was not made by this gateway'
  }
  const age = now - Number.parseInt(match[2]!, 36)
  if (age > MAX_AGE_MS || age < -60_000) return 'the install link is more than an hour old'
  return null
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url')
}
