import { GHL_USER_TYPES, type GhlTokenOwner } from './ghl-token-store.js'

/**
 * Cursors of the GHL token listing (sql/list-ghl-tokens.ts): the key of the last row returned
 * (app, user type, owner id), as base64url-wrapped JSON.
 */
export function encodeGhlTokenCursor(owner: GhlTokenOwner): string {
  return Buffer.from(JSON.stringify([owner.appId, owner.userType, owner.ownerId])).toString('base64url')
}

/** The key in a cursor, or undefined if the text is not a cursor we issued. */
export function decodeGhlTokenCursor(cursor: string): GhlTokenOwner | undefined {
  let key: unknown
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (!Array.isArray(key) || key.length !== 3 || !key.every((part) => typeof part === 'string'))
    return undefined
  const [appId, userType, ownerId] = key as [string, string, string]
  if (!(GHL_USER_TYPES as readonly string[]).includes(userType) || appId.length > 256 || ownerId.length > 256)
    return undefined
  return { appId, userType: userType as GhlTokenOwner['userType'], ownerId }
}
