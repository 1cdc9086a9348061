// One more gateway process with the GHL token engine, for the cross-process tests: the built package
// (dist/), one store on DATABASE_URL, asking for the access token of LOCATION_ID CALLS times at once.
// Prints one JSON line {"tokens":[…]} or {"error":"…"}; the test may SIGKILL it half-way.
// Env: DATABASE_URL, GHL_API_URL, GHL_CLIENT_ID, GHL_CLIENT_SECRET, GHL_TOKEN_KEY, GHL_APP_ID,
// LOCATION_ID, CALLS (default 1), LEASE_MS, TIMEOUT_MS.

import { createGhlOAuthClient } from '../../dist/ghl/oauth-client.js'
import { parseTokenKeys } from '../../dist/ghl/token-keys.js'
import { GhlTokens } from '../../dist/ghl/tokens.js'
import { createLogger } from '../../dist/observe/logger.js'
import { openStore } from '../../dist/store/open-store.js'

const env = process.env
const store = openStore({ url: env.DATABASE_URL })
await store.migrate()
const oauth = createGhlOAuthClient({
  apiUrl: env.GHL_API_URL,
  clientId: env.GHL_CLIENT_ID,
  clientSecret: env.GHL_CLIENT_SECRET,
  timeoutMs: Number(env.TIMEOUT_MS),
})
const tokens = new GhlTokens({
  store,
  keys: parseTokenKeys(env.GHL_TOKEN_KEY),
  oauth,
  appId: env.GHL_APP_ID,
  logger: createLogger({ level: 'silent' }),
  leaseMs: Number(env.LEASE_MS),
  pollMs: 20,
})
console.log(JSON.stringify({ ready: true }))
try {
  const calls = Array.from({ length: Number(env.CALLS ?? 1) }, () => tokens.accessToken(env.LOCATION_ID))
  console.log(JSON.stringify({ tokens: await Promise.all(calls) }))
} catch (error) {
  console.log(JSON.stringify({ error: String(error) }))
}
await oauth.close()
await store.close()
