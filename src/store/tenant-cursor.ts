import type { TenantKind } from './location-store.js'

/**
 * Cursors of the tenant listing (sql/list-locations.ts): the kind and id of the last tenant
 * returned, base64url-wrapped. Locations come before companies, each kind in id order.
 */
export interface TenantPosition {
  kind: TenantKind
  id: string
}

export function encodeTenantCursor(position: TenantPosition): string {
  return Buffer.from(`${position.kind === 'location' ? 'l' : 'c'}:${position.id}`).toString('base64url')
}

/** The position in a cursor, or undefined if the text is not a cursor we issued. */
export function decodeTenantCursor(cursor: string): TenantPosition | undefined {
  const match = /^([lc]):(.{1,256})$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (!match) return undefined
  return { kind: match[1] === 'l' ? 'location' : 'company', id: match[2]! }
}
