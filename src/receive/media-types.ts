import type { MediaType } from './sources.js'

/** The Content-Types a webhook may have, by the body format each means. */
export const MEDIA_TYPES: Readonly<Record<string, MediaType>> = {
  'application/json': 'json',
  'application/x-www-form-urlencoded': 'form',
}

export const MEDIA_FORM = 'application/x-www-form-urlencoded'

/** The body format a Content-Type header names (parameters such as `charset` ignored), if any. */
export function mediaTypeOf(header: string | undefined): MediaType | undefined {
  if (!header) return undefined
  const semicolon = header.indexOf(';')
  return MEDIA_TYPES[(semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase()]
}
