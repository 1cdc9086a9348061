import type { GhlUserType } from './ghl-token-store.js'

/**
 * Cursors of the installations listing (sql/list-ghl-installations.ts): the key of the last row
 * returned (user type, owner id), base64url-wrapped.
 */
export interface InstallationPosition {
  userType: GhlUserType
  ownerId: string
}

export function encodeInstallationCursor(position: InstallationPosition): string {
  return Buffer.from(`${position.userType === 'Company' ? 'c' : 'l'}:${position.ownerId}`).toString(
    'base64url',
  )
}

/** The position in a cursor, or undefined if the text is not a cursor we issued. */
export function decodeInstallationCursor(cursor: string): InstallationPosition | undefined {
  const match = /^([lc]):(.{1,256})$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) return undefined
  return { userType: match[1] === 'c' ? 'Company' : 'Location', ownerId: match[2]! }
}
