import type { GhlTokenStore } from '../types.js'
import { agedGhlTokens } from './aged-ghl-tokens.js'
import { countGhlTokens } from './count-ghl-tokens.js'
import { countGhlTokensByStatus } from './count-ghl-tokens-by-status.js'
import { deleteGhlToken } from './delete-ghl-token.js'
import { endGhlTokenLease } from './end-ghl-token-lease.js'
import { getGhlToken } from './get-ghl-token.js'
import { interruptedGhlTokens } from './interrupted-ghl-tokens.js'
import { leaseGhlToken } from './lease-ghl-token.js'
import { listGhlTokens } from './list-ghl-tokens.js'
import { putGhlToken } from './put-ghl-token.js'
import type { SqlRunner } from './runner.js'
import { sampleGhlTokensByKey } from './sample-ghl-tokens-by-key.js'
import { saveRefreshedGhlToken } from './save-refreshed-ghl-token.js'
import { setGhlTokenStatus } from './set-ghl-token-status.js'

/** Every GHL token operation is one statement both stores run as written (the lease clock is the dialect's). */
export function sharedGhlTokens(db: SqlRunner): GhlTokenStore {
  return {
    getGhlToken: (owner) => getGhlToken(db, owner),
    putGhlToken: db.write((owner, tokens, now) => putGhlToken(db, owner, tokens, now)),
    leaseGhlToken: db.write((owner, holder, leaseMs, now) => leaseGhlToken(db, owner, holder, leaseMs, now)),
    saveRefreshedGhlToken: db.write((owner, lease, tokens, now) =>
      saveRefreshedGhlToken(db, owner, lease, tokens, now),
    ),
    endGhlTokenLease: db.write((owner, lease, end, now) => endGhlTokenLease(db, owner, lease, end, now)),
    setGhlTokenStatus: db.write((owner, status, reason, now, lease) =>
      setGhlTokenStatus(db, owner, status, reason, now, lease),
    ),
    sampleGhlTokensByKey: () => sampleGhlTokensByKey(db),
    interruptedGhlTokens: (limit, now) => interruptedGhlTokens(db, limit, now),
    countGhlTokensByStatus: () => countGhlTokensByStatus(db),
    countGhlTokens: (status, cap) => countGhlTokens(db, status, cap),
    listGhlTokens: (query) => listGhlTokens(db, query),
    agedGhlTokens: (before, limit) => agedGhlTokens(db, before, limit),
    deleteGhlToken: db.write((owner) => deleteGhlToken(db, owner)),
  }
}
