/**
 * A fake GHL API on 127.0.0.1 (random port), for the GHL app platform's tests. It behaves like GHL's
 * token endpoint as GHL documents it (docs/oauth/Authorization.md, apps/oauth.json):
 *
 * - `POST /oauth/token`, form-encoded (`client_id`, `client_secret`, `grant_type`, `code`,
 *   `refresh_token`, `user_type`, `redirect_uri`), answering `access_token`, `refresh_token`,
 *   `expires_in`, `scope`, `userType`, `locationId`/`companyId`.
 * - Every refresh rotates the pair. A refresh token used again within the grace (30 s) gets the same
 *   new pair; after it, or unknown, `400 invalid_grant`. A wrong client id or secret: `401 invalid_client`.
 * - `refreshes(token)` counts every refresh request made with a refresh token, `rotations` every
 *   new pair minted by a refresh: "exactly one refresh" is `refreshes(old) === 1`.
 * - Fault injection, one fault per coming token request (`fault`): `slow` answers after a delay
 *   (having rotated already: the crash window), `status` answers that status without rotating,
 *   `statusAfterRotation` rotates and then answers that status (an answer lost after the fact).
 *
 * Other GHL endpoints (contacts, location tokens, installed locations, rate-limit headers) join
 * `routes` as the platform grows.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createFakeGhlApi, type FakeGhlApi } from './fake-ghl-api.js'

export type Fault =
  | { kind: 'slow'; ms: number }
  | { kind: 'status'; status: number; body?: unknown }
  | { kind: 'statusAfterRotation'; status: number }

export interface FakeGhlOptions {
  clientId?: string
  clientSecret?: string
  /** @default 30_000 */
  graceMs?: number
  /** @default 86399 */
  expiresIn?: number
}

interface Pair {
  accessToken: string
  refreshToken: string
}

interface Grant {
  userType: 'Location' | 'Company'
  ownerId: string
  companyId: string
  scope: string
}

interface RefreshState {
  grant: Grant
  /** When it was first used, and the pair it got. */
  used?: { at: number; pair: Pair }
}

export interface FakeGhl {
  url: string
  clientId: string
  clientSecret: string
  /** An authorization code for an install, as GHL's redirect would carry it. */
  authorize(install: {
    userType?: 'Location' | 'Company'
    ownerId: string
    companyId?: string
    scope?: string
  }): string
  /** Refresh requests made with this refresh token (all of them, grace answers included). */
  refreshes(refreshToken: string): number
  /** New pairs minted by refreshes. */
  readonly rotations: number
  /** The pair GHL considers current for an owner (the last one minted). */
  current(ownerId: string): Pair | undefined
  /** Faults for the coming token requests, in order. */
  fault(...faults: Fault[]): void
  /** Resolves when a refresh with this token has rotated the pair (before any slow answer is sent). */
  rotated(refreshToken: string): Promise<Pair>
  /** The API endpoints (contacts, notes, opportunities, rate limits, API faults): fake-ghl-api.ts. */
  api: FakeGhlApi
  close(): Promise<void>
}

export async function startFakeGhl(options: FakeGhlOptions = {}): Promise<FakeGhl> {
  const clientId = options.clientId ?? `app${randomBytes(4).toString('hex')}-client`
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex')
  const graceMs = options.graceMs ?? 30_000
  const expiresIn = options.expiresIn ?? 86_399
  const codes = new Map<string, Grant>()
  const refreshTokens = new Map<string, RefreshState>()
  const refreshCounts = new Map<string, number>()
  const currentPairs = new Map<string, Pair>()
  const faults: Fault[] = []
  const waiters = new Map<string, ((pair: Pair) => void)[]>()
  let rotations = 0
  // The API endpoints accept an owner's current access token (fake-ghl-api.ts).
  const api = createFakeGhlApi((token) => {
    for (const [ownerId, pair] of currentPairs) if (pair.accessToken === token) return ownerId
    return undefined
  })

  const mint = (grant: Grant): Pair => {
    const pair = {
      accessToken: `at-${grant.ownerId}-${randomBytes(18).toString('base64url')}`,
      refreshToken: `rt-${grant.ownerId}-${randomBytes(18).toString('base64url')}`,
    }
    refreshTokens.set(pair.refreshToken, { grant })
    currentPairs.set(grant.ownerId, pair)
    return pair
  }
  const answer = (grant: Grant, pair: Pair) => ({
    access_token: pair.accessToken,
    token_type: 'Bearer',
    expires_in: expiresIn,
    refresh_token: pair.refreshToken,
    scope: grant.scope,
    userType: grant.userType,
    companyId: grant.companyId,
    ...(grant.userType === 'Location' ? { locationId: grant.ownerId } : {}),
    userId: 'user_1',
  })

  /** The pair for a token request, or the error to answer; `rotatedNow` when this request minted it. */
  const exchange = (form: URLSearchParams): { status: number; body: unknown; pair?: Pair; used?: string } => {
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Invalid client credentials' },
      }
    }
    const grantType = form.get('grant_type')
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? ''
      const grant = codes.get(code)
      if (!grant) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid code' } }
      codes.delete(code)
      const pair = mint(grant)
      return { status: 200, body: answer(grant, pair), pair }
    }
    if (grantType === 'refresh_token') {
      const token = form.get('refresh_token') ?? ''
      const state = refreshTokens.get(token)
      if (!state)
        return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid refresh token' } }
      if (state.used) {
        if (Date.now() - state.used.at <= graceMs) {
          return {
            status: 200,
            body: answer(state.grant, state.used.pair),
            pair: state.used.pair,
            used: token,
          }
        }
        return {
          status: 400,
          body: { error: 'invalid_grant', error_description: 'Refresh token already used' },
        }
      }
      const pair = mint(state.grant)
      rotations += 1
      state.used = { at: Date.now(), pair }
      return { status: 200, body: answer(state.grant, pair), pair, used: token }
    }
    return { status: 400, body: { error: 'unsupported_grant_type' } }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        if (res.destroyed) return
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      if (api.handle(req, res, Buffer.concat(chunks))) return
      if (req.method !== 'POST' || req.url !== '/oauth/token') return send(404, { message: 'Not Found' })
      if (!req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
        return send(415, { message: 'form-encoded bodies only' })
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      // Every refresh request counts, also one a fault answers.
      const refreshToken =
        form.get('grant_type') === 'refresh_token' ? (form.get('refresh_token') ?? '') : undefined
      if (refreshToken !== undefined)
        refreshCounts.set(refreshToken, (refreshCounts.get(refreshToken) ?? 0) + 1)
      const fault = faults.shift()
      if (fault?.kind === 'status') return send(fault.status, fault.body ?? { message: 'injected' })
      const result = exchange(form)
      if (result.used && result.pair) {
        for (const wake of waiters.get(result.used) ?? []) wake(result.pair)
        waiters.delete(result.used)
      }
      if (fault?.kind === 'statusAfterRotation')
        return send(fault.status, { message: 'injected after rotation' })
      if (fault?.kind === 'slow') {
        setTimeout(() => send(result.status, result.body), fault.ms).unref()
        return
      }
      send(result.status, result.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    authorize({
      userType = 'Location',
      ownerId,
      companyId = 'comp_1',
      scope = 'contacts.readonly contacts.write',
    }) {
      const code = `code-${randomBytes(12).toString('hex')}`
      codes.set(code, { userType, ownerId, companyId, scope })
      return code
    },
    refreshes: (token) => refreshCounts.get(token) ?? 0,
    get rotations() {
      return rotations
    },
    current: (ownerId) => currentPairs.get(ownerId),
    fault: (...more) => faults.push(...more),
    rotated: (token) =>
      new Promise((resolve) => {
        const list = waiters.get(token) ?? []
        list.push(resolve)
        waiters.set(token, list)
      }),
    api,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
