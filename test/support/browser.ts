import { existsSync } from 'node:fs'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'

/**
 * Real Chromium for the console's browser tests: Debian's `/usr/bin/chromium` driven by
 * playwright-core (no browser download). One browser per test file (`launchBrowser` in beforeAll,
 * `close` in afterAll). Each page records what a test must be able to fail on: console messages
 * (a CSP violation is logged there), uncaught errors, dialogs (`alert` from an injected script),
 * and any request for a host other than 127.0.0.1, which is refused before it leaves.
 */

export const CHROMIUM = '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
]

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the console's browser tests need Chromium at ${CHROMIUM}: install it (apt-get install -y chromium; .ci/run does)`,
    )
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 30_000 })
}

export interface WatchedPage {
  context: BrowserContext
  page: Page
  /** `type: text` of every console message. */
  consoleLog: string[]
  /** Uncaught exceptions in the page. */
  pageErrors: string[]
  /** Messages of dialogs opened (each dismissed at once). */
  dialogs: string[]
  /** URLs the page tried to reach on another host (refused). */
  offHost: string[]
  /** Console messages reporting a Content-Security-Policy violation. */
  cspViolations(): string[]
  close(): Promise<void>
}

/** A fresh browser context (its own cookies) and page, watched as described above. */
export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const context = await browser.newContext({ serviceWorkers: 'block' })
  context.setDefaultTimeout(10_000)
  const offHost: string[] = []
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url())
    if (url.hostname === '127.0.0.1') return route.continue()
    offHost.push(url.href)
    return route.abort('blockedbyclient')
  })
  const page = await context.newPage()
  const consoleLog: string[] = []
  const pageErrors: string[] = []
  const dialogs: string[] = []
  page.on('console', (message) => consoleLog.push(`${message.type()}: ${message.text()}`))
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss().catch(() => {})
  })
  return {
    context,
    page,
    consoleLog,
    pageErrors,
    dialogs,
    offHost,
    cspViolations: () => consoleLog.filter((line) => /Content Security Policy/i.test(line)),
    close: () => context.close(),
  }
}
