/**
 * The `Version` header GHL expects, per operation. GHL's OpenAPI specs list it per operation (a
 * header parameter with a one-value enum); across the v2 specs it is constant per first path
 * segment, with one exception. Source: GoHighLevel/highlevel-api-docs `apps/*.json` at commit
 * 0af86a4cbd48c66a4071c7e509d1079f9f10ed17 (2026-06-19) — `2021-04-15` in calendars.json,
 * conversations.json, conversation-ai.json, agent-studio.json, knowledge-base.json, saas-api.json,
 * voice-ai.json and `GET /links/search` (links.json); `2021-07-28` in every other spec (contacts,
 * opportunities, oauth, users, locations, …). Operations whose spec lists no Version (store
 * shipping, marketplace billing, a few funnels and conversations paths) get the default, which GHL
 * accepts there. `ctx.ghl.request({ version })` overrides the table for one call (e.g. `v3`).
 */

export const GHL_VERSION_DEFAULT = '2021-07-28'
export const GHL_VERSION_2021_04_15 = '2021-04-15'

/** First path segments whose operations take `2021-04-15`. */
const SEGMENTS_2021_04_15 = new Set([
  'calendars',
  'conversations',
  'conversation-ai',
  'agent-studio',
  'knowledge-bases',
  'saas',
  'saas-api',
  'voice-ai',
])

/** Single operations that differ from their segment, as `METHOD /path`. */
const EXCEPTIONS = new Map([['GET /links/search', GHL_VERSION_2021_04_15]])

/** The Version for a method and path (`/contacts/abc`, query or not). */
export function ghlVersionFor(method: string, path: string): string {
  const bare = path.split('?', 1)[0] ?? ''
  const normalised = bare.length > 1 && bare.endsWith('/') ? bare.slice(0, -1) : bare
  const exception = EXCEPTIONS.get(`${method.toUpperCase()} ${normalised}`)
  if (exception) return exception
  const segment = normalised.split('/')[1] ?? ''
  return SEGMENTS_2021_04_15.has(segment) ? GHL_VERSION_2021_04_15 : GHL_VERSION_DEFAULT
}
