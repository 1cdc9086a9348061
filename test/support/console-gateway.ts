import type { Browser } from 'playwright-core'
import { afterAll, afterEach, beforeAll, expect } from 'vitest'
import { open } from '../../src/assemble.js'
import { assembleForTest, type TestAssembly } from './assembly.js'
import { launchBrowser, type WatchedPage, watchedPage } from './browser.js'
import { type Sink, type SinkResponder, startSink } from './sink.js'
import { ed25519Signature, type StoreKind, testEd25519Key } from './test-app.js'

/**
 * What every browser test file of the console needs, once: a real gateway listening on 127.0.0.1
 * (its worker running) on a real store of `kind`, a real destination server (the sink), one
 * Chromium, signed webhooks, the admin API, and pages logged in through the form. Every page is
 * watched: a CSP violation, a dialog, an uncaught error or a request to any host but 127.0.0.1
 * fails the test that caused it (afterEach).
 *
 * Call `useConsoleGateway()` at the top level of a test file (or of a `describe`): it registers
 * the hooks and returns an object whose fields are set by the time the tests run.
 */

export const CONSOLE_TOKEN = 'console-ui-admin-token'

export interface ConsoleGatewayOptions {
  /** Extra settings (ADMIN_TOKEN, the signing key, HOST, PORT and EGRESS_ALLOW are set; GHL_ED25519_PUBLIC_KEYS adds to the harness's key). */
  env?: Record<string, string>
  /** How the sink answers. @default 200 "ok" */
  sinkResponder?: SinkResponder
  /** Runs after assembly and before listening: register handlers on `gateway.registry` here. */
  setup?: (gateway: TestAssembly) => void | Promise<void>
}

export interface ConsoleGateway {
  kind: StoreKind
  browser: Browser
  gateway: TestAssembly
  sink: Sink
  /** `http://127.0.0.1:<port>` */
  base: string
  /** A signed GHL webhook with this JSON body; its event id. */
  send(body: Record<string, unknown>): Promise<string>
  /** A signed GHL webhook with exactly these bytes (and these extra headers); its event id. */
  sendRaw(payload: string, headers?: Record<string, string>): Promise<string>
  /** An admin API answer's JSON, with the bearer token. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  adminGet(path: string): Promise<any>
  /** An admin API call with the bearer token and a JSON body; the response. */
  adminSend(method: string, path: string, body?: unknown): Promise<Response>
  /** A new watched page (its own cookies), logged in through the form at `path` (relative to base). */
  loggedIn(path?: string): Promise<WatchedPage>
  /** A new watched page, not logged in; checked and closed after the test like the others. */
  anonymousPage(): Promise<WatchedPage>
}

export function useConsoleGateway(kind: StoreKind, options: ConsoleGatewayOptions = {}): ConsoleGateway {
  const key = testEd25519Key()
  const bearer = { authorization: `Bearer ${CONSOLE_TOKEN}` }
  const pages: WatchedPage[] = []
  const harness = {} as ConsoleGateway

  const sendRaw = async (payload: string, headers: Record<string, string> = {}): Promise<string> => {
    const response = await fetch(`${harness.base}/webhooks/ghl`, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, payload),
      },
      body: payload,
    })
    if (response.status !== 200)
      throw new Error(`webhook refused: ${response.status} ${await response.text()}`)
    return ((await response.json()) as { eventId: string }).eventId
  }

  const anonymousPage = async (): Promise<WatchedPage> => {
    const w = await watchedPage(harness.browser)
    pages.push(w)
    return w
  }

  Object.assign(harness, {
    kind,
    sendRaw,
    send: (body: Record<string, unknown>) => sendRaw(JSON.stringify(body)),
    adminGet: async (path: string) => (await fetch(`${harness.base}${path}`, { headers: bearer })).json(),
    adminSend: (method: string, path: string, body?: unknown) =>
      fetch(`${harness.base}${path}`, {
        method,
        headers: body === undefined ? bearer : { ...bearer, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    anonymousPage,
    async loggedIn(path = 'ui/events') {
      const w = await anonymousPage()
      await w.page.goto(`${harness.base}/${path}`)
      await w.page.getByLabel('Admin token').fill(CONSOLE_TOKEN)
      await w.page.getByRole('button', { name: 'Sign in' }).click()
      await w.page.getByRole('button', { name: 'Log out' }).waitFor()
      return w
    },
  })

  beforeAll(async () => {
    const launching = launchBrowser()
    harness.sink = await startSink(options.sinkResponder)
    harness.gateway = await assembleForTest(kind, {
      ADMIN_TOKEN: CONSOLE_TOKEN,
      HOST: '127.0.0.1',
      PORT: '0',
      EGRESS_ALLOW: '127.0.0.1',
      SHUTDOWN_TIMEOUT: '1s',
      ...options.env,
      // Keys a test file adds are trusted beside the harness's own, which send() signs with.
      GHL_ED25519_PUBLIC_KEYS: [key.spki, options.env?.GHL_ED25519_PUBLIC_KEYS].filter(Boolean).join(','),
    })
    await options.setup?.(harness.gateway)
    harness.base = await open(harness.gateway)
    harness.browser = await launching
  }, 60_000)

  afterEach(async () => {
    const watched = pages.splice(0)
    try {
      for (const w of watched) {
        expect(w.cspViolations(), 'CSP violations in the console log').toEqual([])
        expect(w.dialogs, 'dialogs opened').toEqual([])
        expect(w.pageErrors, 'uncaught errors in the page').toEqual([])
        expect(w.offHost, 'requests for hosts other than 127.0.0.1').toEqual([])
      }
    } finally {
      for (const w of watched) await w.close()
    }
  })

  afterAll(async () => {
    await harness.browser?.close()
    await harness.gateway?.close()
    await harness.sink?.close()
  })

  return harness
}
