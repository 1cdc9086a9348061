import { ConfigError } from '../config-error.js'
import type { GhlTokenStore } from '../store/types.js'
import { GhlTokenDecryptError } from './errors.js'
import { decryptToken } from './token-cipher.js'
import type { TokenKeyRing } from './token-keys.js'

/**
 * At boot: every key id the stored tokens were written with must be configured, and decrypt one of
 * its rows. Otherwise the gateway would start and fail each GHL call for those locations one by one;
 * it refuses instead, saying which key is missing. Cheap: one row per key id (`sampleGhlTokensByKey`).
 */
export async function checkStoredTokenKeys(
  store: GhlTokenStore,
  keys: TokenKeyRing | undefined,
): Promise<void> {
  for (const row of await store.sampleGhlTokensByKey()) {
    if (!keys) {
      throw new ConfigError(
        `the database holds GHL tokens encrypted with ${row.keyId}, and GHL_TOKEN_KEY is not set: set it to the key they were written with`,
      )
    }
    if (!keys.byId.has(row.keyId)) {
      throw new ConfigError(
        `the database holds GHL tokens encrypted with ${row.keyId}, which GHL_TOKEN_KEY does not hold (it holds ${[...keys.byId.keys()].join(', ')}): the key was removed or replaced. Put it back after the current one (GHL_TOKEN_KEY=<current>,<old>); if it is lost, those locations must install the app again`,
      )
    }
    try {
      decryptToken(row.accessToken, row, 'access', row.keyId, keys)
    } catch (error) {
      if (!(error instanceof GhlTokenDecryptError)) throw error
      throw new ConfigError(`GHL_TOKEN_KEY cannot decrypt the stored GHL tokens: ${error.message}`, {
        cause: error,
      })
    }
  }
}
