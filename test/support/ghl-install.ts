import { randomBytes } from 'node:crypto'
import { createGhlOAuthClient } from '../../src/ghl/oauth-client.js'
import { parseTokenKeys } from '../../src/ghl/token-keys.js'
import { GhlTokens } from '../../src/ghl/tokens.js'
import { createLogger } from '../../src/observe/logger.js'
import type { Store } from '../../src/store/types.js'
import type { FakeGhl } from './fake-ghl.js'

/** The settings of a GHL app that talks to a fake GHL, and an install stored the way the callback stores it. */

export function ghlAppEnv(fake: FakeGhl, appId = 'app_test'): Record<string, string> {
  return {
    GHL_CLIENT_ID: fake.clientId,
    GHL_CLIENT_SECRET: fake.clientSecret,
    GHL_API_URL: fake.url,
    GHL_TOKEN_KEY: randomBytes(32).toString('base64'),
    GHL_APP_ID: appId,
  }
}

/** GHL's code for `locationId` exchanged and the pair stored in `store`, encrypted with the env's key. */
export async function installOnFake(
  store: Store,
  fake: FakeGhl,
  env: Record<string, string>,
  locationId: string,
): Promise<void> {
  const keys = parseTokenKeys(env.GHL_TOKEN_KEY ?? '')
  if ('problem' in keys) throw new Error(keys.problem)
  const oauth = createGhlOAuthClient({
    apiUrl: fake.url,
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
  })
  try {
    const logger = createLogger({ level: 'silent' })
    const tokens = new GhlTokens({ store, keys, oauth, appId: env.GHL_APP_ID ?? 'app_test', logger })
    const grant = await oauth.exchangeCode(fake.authorize({ ownerId: locationId }), {})
    await tokens.saveGrant(tokens.owner(locationId), grant, 'comp_1')
  } finally {
    await oauth.close()
  }
}
