/**
 * The fake GHL's API endpoints (the part `ctx.ghl` talks to), joined to the fake token endpoint in
 * fake-ghl.ts. What it does, as GHL documents it (apps/contacts.json, apps/opportunities.json,
 * docs "Rate Limits"):
 *
 * - `GET/PUT /contacts/:id`, `POST/DELETE /contacts/:id/tags`, `POST /contacts/:id/notes`,
 *   `POST /contacts/:id/tasks`, `PUT /opportunities/:id`, `PUT /opportunities/:id/status`.
 * - The bearer token must be the current access token of a location (or one `acceptToken` added, a
 *   Private Integration Token): else `401 Invalid JWT`. A contact or opportunity belongs to the
 *   location that touched it first; another location's token gets `403`.
 * - `Version` must be the one the operation's spec lists (`2021-07-28` for these): else `400`.
 * - `X-RateLimit-*` headers on every authenticated answer, per location; beyond 100 requests in any
 *   sliding 10 s, or the daily limit (`setDailyLimit`), `429`. `maxInWindow(location)` is the most
 *   requests seen in any 10 s (429s included: what the gateway sent, not what GHL served).
 * - Faults for the coming API requests, in order (`fault`): a status (401, 429, 5xx…), `slow`,
 *   `reset` (the socket destroyed before an answer). A fault may name the location it waits for.
 * - `log`: every API request (method, path, location, Version, time, status).
 */
import type http from 'node:http'

export type ApiFault = (
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'slow'; ms: number }
  | { kind: 'reset' }
) & {
  /** Only a request for this location takes the fault. @default any */
  locationId?: string
}

export interface ApiRequestRecord {
  method: string
  /** The path without the query. */
  path: string
  query: string
  /** Whose token it carried (undefined: no valid token). */
  locationId: string | undefined
  version: string | undefined
  authorization: string | undefined
  body: unknown
  status: number
  at: number
}

export interface FakeGhlApi {
  /** Every API request, in arrival order. */
  readonly log: ApiRequestRecord[]
  /** Faults for the coming API requests, in order. */
  fault(...faults: ApiFault[]): void
  /** Accepts this bearer token for a location (a Private Integration Token, say). */
  acceptToken(token: string, locationId: string): void
  /** Stops accepting a token (from `acceptToken`, or a current access token: GHL revoked it). */
  rejectToken(token: string): void
  /** The daily limit for every location. @default 200_000 */
  setDailyLimit(limit: number): void
  /** The most requests this location sent in any sliding 10 s. */
  maxInWindow(locationId: string): number
  /** How many 429s this location got (injected ones included). */
  limited(locationId: string): number
  /** The stored contact (tags, notes, tasks, fields as last written). */
  contact(id: string): FakeContact | undefined
  opportunity(id: string): Record<string, unknown> | undefined
  /** @internal the fake's server hands every non-OAuth request here; false: not an API path. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): boolean
}

export interface FakeContact {
  id: string
  locationId: string
  fields: Record<string, unknown>
  tags: string[]
  notes: { id: string; body: string; userId?: string; dateAdded: string }[]
  tasks: Record<string, unknown>[]
}

const WINDOW_MS = 10_000
const BURST_MAX = 100
/** apps/contacts.json and apps/opportunities.json list only this Version for these operations. */
const VERSION = '2021-07-28'

interface Route {
  method: string
  pattern: RegExp
  run(ctx: { locationId: string; id: string; body: Record<string, unknown> }): [number, unknown]
}

export function createFakeGhlApi(ownerOfToken: (token: string) => string | undefined): FakeGhlApi {
  const log: ApiRequestRecord[] = []
  const faults: ApiFault[] = []
  const extraTokens = new Map<string, string>()
  const rejected = new Set<string>()
  const recent = new Map<string, number[]>()
  const maxSeen = new Map<string, number>()
  const dailyUsed = new Map<string, number>()
  const limitedCount = new Map<string, number>()
  const contacts = new Map<string, FakeContact>()
  const opportunities = new Map<string, Record<string, unknown> & { locationId: string }>()
  let dailyLimit = 200_000
  let sequence = 0

  const nextId = (prefix: string) => `${prefix}${(++sequence).toString().padStart(6, '0')}`
  const contactFor = (id: string, locationId: string): FakeContact => {
    let contact = contacts.get(id)
    if (!contact) {
      contact = { id, locationId, fields: {}, tags: [], notes: [], tasks: [] }
      contacts.set(id, contact)
    }
    return contact
  }
  const contactView = (c: FakeContact) => ({ id: c.id, locationId: c.locationId, tags: c.tags, ...c.fields })

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/contacts\/([^/]+)$/,
      run: ({ id, locationId }) => [200, { contact: contactView(contactFor(id, locationId)) }],
    },
    {
      method: 'PUT',
      pattern: /^\/contacts\/([^/]+)$/,
      run: ({ id, locationId, body }) => {
        const contact = contactFor(id, locationId)
        const { tags, ...fields } = body
        if (Array.isArray(tags)) contact.tags = tags.map(String)
        Object.assign(contact.fields, fields)
        return [200, { succeded: true, contact: contactView(contact) }]
      },
    },
    {
      method: 'POST',
      pattern: /^\/contacts\/([^/]+)\/tags$/,
      run: ({ id, locationId, body }) => {
        if (!Array.isArray(body.tags)) return [422, unprocessable('tags must be an array')]
        const contact = contactFor(id, locationId)
        for (const tag of body.tags.map(String)) if (!contact.tags.includes(tag)) contact.tags.push(tag)
        return [201, { tags: contact.tags }]
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/contacts\/([^/]+)\/tags$/,
      run: ({ id, locationId, body }) => {
        if (!Array.isArray(body.tags)) return [422, unprocessable('tags must be an array')]
        const contact = contactFor(id, locationId)
        const remove = new Set(body.tags.map(String))
        contact.tags = contact.tags.filter((tag) => !remove.has(tag))
        return [200, { tags: contact.tags }]
      },
    },
    {
      method: 'POST',
      pattern: /^\/contacts\/([^/]+)\/notes$/,
      run: ({ id, locationId, body }) => {
        if (typeof body.body !== 'string') return [422, unprocessable('body must be a string')]
        const contact = contactFor(id, locationId)
        const note = {
          id: nextId('note'),
          body: body.body,
          ...(typeof body.userId === 'string' ? { userId: body.userId } : {}),
          dateAdded: new Date().toISOString(),
        }
        contact.notes.push(note)
        return [201, { note: { ...note, contactId: id } }]
      },
    },
    {
      method: 'POST',
      pattern: /^\/contacts\/([^/]+)\/tasks$/,
      run: ({ id, locationId, body }) => {
        if (typeof body.title !== 'string' || typeof body.dueDate !== 'string')
          return [422, unprocessable('title and dueDate are required')]
        const contact = contactFor(id, locationId)
        const task = { id: nextId('task'), contactId: id, completed: false, ...body }
        contact.tasks.push(task)
        return [201, { task }]
      },
    },
    {
      method: 'PUT',
      pattern: /^\/opportunities\/([^/]+)\/status$/,
      run: ({ id, locationId, body }) => {
        if (!['open', 'won', 'lost', 'abandoned'].includes(String(body.status)))
          return [422, unprocessable('status must be one of open, won, lost, abandoned')]
        const opportunity = opportunityFor(id, locationId)
        opportunity.status = body.status
        return [200, { succeded: true }]
      },
    },
    {
      method: 'PUT',
      pattern: /^\/opportunities\/([^/]+)$/,
      run: ({ id, locationId, body }) => {
        const opportunity = opportunityFor(id, locationId)
        Object.assign(opportunity, body)
        return [200, { opportunity }]
      },
    },
  ]
  const opportunityFor = (id: string, locationId: string) => {
    let opportunity = opportunities.get(id)
    if (!opportunity) {
      opportunity = { id, locationId, status: 'open' }
      opportunities.set(id, opportunity)
    }
    return opportunity
  }
  const ownerOfResource = (path: string): string | undefined => {
    const [, kind, id] = path.split('/')
    if (!id) return undefined
    if (kind === 'contacts') return contacts.get(id)?.locationId
    if (kind === 'opportunities') return opportunities.get(id)?.locationId
    return undefined
  }

  /** Counts the request in its location's window and day; the headers GHL would send. */
  const meter = (locationId: string, now: number) => {
    const times = (recent.get(locationId) ?? []).filter((t) => t > now - WINDOW_MS)
    times.push(now)
    recent.set(locationId, times)
    maxSeen.set(locationId, Math.max(maxSeen.get(locationId) ?? 0, times.length))
    const used = (dailyUsed.get(locationId) ?? 0) + 1
    dailyUsed.set(locationId, used)
    const headers = {
      'x-ratelimit-limit-daily': String(dailyLimit),
      'x-ratelimit-daily-remaining': String(Math.max(0, dailyLimit - used)),
      'x-ratelimit-interval-milliseconds': String(WINDOW_MS),
      'x-ratelimit-max': String(BURST_MAX),
      'x-ratelimit-remaining': String(Math.max(0, BURST_MAX - times.length)),
    }
    return { headers, overBurst: times.length > BURST_MAX, overDaily: used > dailyLimit }
  }

  return {
    log,
    fault: (...more) => faults.push(...more),
    acceptToken: (token, locationId) => extraTokens.set(token, locationId),
    rejectToken: (token) => rejected.add(token),
    setDailyLimit: (limit) => {
      dailyLimit = limit
    },
    maxInWindow: (locationId) => maxSeen.get(locationId) ?? 0,
    limited: (locationId) => limitedCount.get(locationId) ?? 0,
    contact: (id) => contacts.get(id),
    opportunity: (id) => opportunities.get(id),
    handle(req, res, raw) {
      const url = new URL(req.url ?? '/', 'http://fake')
      const method = req.method ?? 'GET'
      const route = routes.find((r) => r.method === method && r.pattern.test(url.pathname))
      if (!route && !/^\/(contacts|opportunities)\//.test(url.pathname)) return false
      const authorization = req.headers.authorization
      const version = header(req.headers.version)
      const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7) : ''
      const locationId =
        bearer && !rejected.has(bearer) ? (extraTokens.get(bearer) ?? ownerOfToken(bearer)) : undefined
      let body: Record<string, unknown> = {}
      try {
        if (raw.length > 0) body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
      } catch {
        body = {}
      }
      const record: ApiRequestRecord = {
        method,
        path: url.pathname,
        query: url.search,
        locationId,
        version,
        authorization,
        body,
        status: 0,
        at: Date.now(),
      }
      log.push(record)
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        record.status = status
        if (res.destroyed) return
        res.writeHead(status, { 'content-type': 'application/json', ...headers })
        res.end(JSON.stringify(payload))
      }
      const limited = () => limitedCount.set(locationId ?? '', (limitedCount.get(locationId ?? '') ?? 0) + 1)

      const at = faults.findIndex((f) => f.locationId === undefined || f.locationId === locationId)
      const fault = at >= 0 ? faults.splice(at, 1)[0] : undefined
      if (fault?.kind === 'reset') {
        record.status = -1
        res.socket?.destroy()
        return true
      }
      if (fault?.kind === 'status') {
        if (fault.status === 429) limited()
        const rate =
          fault.status === 429 && locationId
            ? meter(locationId, record.at).headers
            : ({} as Record<string, string>)
        send(fault.status, fault.body ?? ghlError(fault.status, 'injected'), { ...rate, ...fault.headers })
        return true
      }
      const answer = () => {
        if (!locationId) return send(401, { statusCode: 401, message: 'Invalid JWT' })
        const { headers, overBurst, overDaily } = meter(locationId, record.at)
        if (overBurst || overDaily) {
          limited()
          return send(429, { statusCode: 429, message: 'Too many requests' }, headers)
        }
        if (!route) return send(404, ghlError(404, `Cannot ${method} ${url.pathname}`), headers)
        if (version !== VERSION) {
          return send(
            400,
            {
              statusCode: 400,
              message: version
                ? `Version ${version} is not supported for this route`
                : 'Version header was not found',
              error: 'Bad Request',
            },
            headers,
          )
        }
        const owner = ownerOfResource(url.pathname)
        if (owner && owner !== locationId) {
          return send(403, ghlError(403, 'The token does not have access to this location.'), headers)
        }
        const id = decodeURIComponent(route.pattern.exec(url.pathname)?.[1] ?? '')
        const [status, payload] = route.run({ locationId, id, body })
        send(status, payload, headers)
      }
      if (fault?.kind === 'slow') setTimeout(answer, fault.ms).unref()
      else answer()
      return true
    },
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function ghlError(status: number, message: string) {
  return { statusCode: status, message }
}

function unprocessable(message: string) {
  return { statusCode: 422, message: [message], error: 'Unprocessable Entity' }
}
