import { beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_CSP } from '../src/api/console-routes.js'
import { PermanentError } from '../src/deliver/errors.js'
import { handlerSubscriber } from '../src/gateway.js'
import { watchedPage } from './support/browser.js'
import { CONSOLE_TOKEN as TOKEN, useConsoleGateway } from './support/console-gateway.js'
import { contactCreate, type StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * The web console in real Chromium against a real gateway on each store: listening on 127.0.0.1,
 * its worker running, a real destination (a local HTTP server) and a handler. Every page is
 * watched (support/console-gateway.ts): a CSP violation, a dialog, an uncaught error or a request
 * to any host but 127.0.0.1 fails the test that caused it, and the last test shows that each of
 * these detectors does catch what it is for.
 */

describe.each<StoreKind>(['sqlite', 'postgres'])('the web console at /ui, in Chromium, on %s', (kind) => {
  /** The `audit` handler (ContactUpdate) dead-letters while this is true. */
  let auditFails = true
  const c = useConsoleGateway(kind, {
    async setup(gateway) {
      gateway.registry.add(
        handlerSubscriber(
          'audit',
          ['ContactUpdate'],
          async () => {
            if (auditFails) throw new PermanentError('the audit store refused it')
          },
          {},
          () => gateway,
        ),
      )
    },
  })
  const send = (body: Record<string, unknown>) => c.send(body)
  const sendRaw = (payload: string, headers?: Record<string, string>) => c.sendRaw(payload, headers)
  const adminGet = (path: string) => c.adminGet(path)
  const loggedIn = (path?: string) => c.loggedIn(path)

  beforeAll(async () => {
    const created = await c.adminSend('POST', '/api/destinations', {
      id: 'crm-sync',
      url: c.sink.url,
      events: ['contact.created'],
    })
    expect(created.status).toBe(201)
  })

  it('answers with its CSP; the login form takes the right admin token only, and logout ends the session', async () => {
    const w = await c.anonymousPage()
    const answer = await w.page.goto(`${c.base}/ui/`)
    const headers = answer!.headers()
    expect(headers['content-security-policy']).toBe(CONSOLE_CSP)
    expect(headers['x-content-type-options']).toBe('nosniff')
    expect(headers['referrer-policy']).toBe('no-referrer')

    await w.page.getByLabel('Admin token').fill('not-the-token')
    await w.page.getByRole('button', { name: 'Sign in' }).click()
    await expect
      .poll(() => w.page.getByRole('alert').textContent())
      .toContain('That admin token is not valid')
    expect(await w.context.cookies()).toEqual([])

    await w.page.getByLabel('Admin token').fill(TOKEN)
    await w.page.getByRole('button', { name: 'Sign in' }).click()
    // `/ui/` lands on the overview (test/console-overview.test.ts).
    await w.page.getByRole('heading', { name: 'Overview', exact: true }).waitFor()
    // The first test runs before any webhook: the empty state teaches where to send them.
    await w.page.getByRole('heading', { name: 'No events yet' }).waitFor()
    expect(await w.page.locator('.empty').textContent()).toContain(`${c.base}/webhooks/ghl`)
    const [cookie] = await w.context.cookies()
    expect(cookie).toMatchObject({
      name: 'ghl_gateway_session',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
    })
    // The session, not the token, is what the browser holds.
    expect(cookie!.value).not.toContain(TOKEN)

    await w.page.getByRole('button', { name: 'Log out' }).click()
    await w.page.getByLabel('Admin token').waitFor()
    const after = await w.page.request.get(`${c.base}/api/session`)
    expect(after.status()).toBe(401)
  })

  it('the live tail adds a webhook sent during the test, and holds the next one behind "1 new" while paused', async () => {
    const w = await loggedIn('ui/events')
    await w.page.getByText('Live', { exact: true }).waitFor()

    await send(contactCreate({ locationId: 'loc_live_one' }))
    await w.page.getByRole('cell', { name: 'loc_live_one' }).waitFor()

    await w.page.getByRole('button', { name: 'Pause live tail' }).click()
    await send(contactCreate({ locationId: 'loc_live_two' }))
    const banner = w.page.getByRole('button', { name: '1 new event: show' })
    await banner.waitFor()
    expect(await w.page.getByRole('cell', { name: 'loc_live_two' }).count()).toBe(0)
    await banner.click()
    await w.page.getByRole('cell', { name: 'loc_live_two' }).waitFor()

    // Resumed, a selected row holds new events back too: the rows being read do not move.
    await w.page.getByRole('button', { name: 'Resume live tail' }).click()
    await w.page.getByRole('cell', { name: 'loc_live_one' }).click()
    await w.page.getByText('Live tail paused while a row is selected').waitFor()
    await send(contactCreate({ locationId: 'loc_live_three' }))
    await w.page.getByRole('button', { name: '1 new event: show' }).waitFor()
    expect(await w.page.getByRole('cell', { name: 'loc_live_three' }).count()).toBe(0)
  })

  it('switches times between UTC and local, and the colour scheme', async () => {
    await send(contactCreate({ locationId: 'loc_prefs' }))
    const w = await loggedIn('ui/events?locationId=loc_prefs')
    const { page } = w
    const time = page.getByRole('row').nth(1).locator('time')
    await expect.poll(() => time.getAttribute('title')).toMatch(/ UTC$/)
    await page.getByRole('button', { name: /Times in UTC/ }).click()
    await expect.poll(() => time.getAttribute('title')).toMatch(/ [+-]\d\d:\d\d$/)
    await page.getByLabel('Colour scheme').selectOption('dark')
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark')
    await page.reload()
    await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe('dark')
    await expect.poll(() => time.getAttribute('title')).toMatch(/ [+-]\d\d:\d\d$/)
  })

  it('answers the keyboard: ? shows the help, / searches from any page, j/k select rows and Enter opens one', async () => {
    const first = await send(contactCreate({ locationId: 'loc_keys' }))
    const second = await send(contactCreate({ locationId: 'loc_keys' }))
    const w = await loggedIn('ui/dlq')
    const { page } = w
    await page.getByRole('heading', { name: 'Dead letters' }).waitFor()
    await page.keyboard.press('?')
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
    await help.waitFor()
    expect(await help.textContent()).toContain('Search the events')
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'hidden' })

    await page.keyboard.press('/')
    await expect.poll(() => page.url()).toBe(`${c.base}/ui/events`)
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('event-search')
    await page.getByLabel('Search').fill('loc_keys')
    await page.getByLabel('Search').press('Enter')
    await expect.poll(() => page.getByRole('row').count()).toBe(3)
    // Out of the search box, j selects the newest row, j again the next, k back; Enter opens it.
    const selectedEvent = async () =>
      (await page.locator('tr[aria-selected="true"] a').getAttribute('href'))?.split('/').pop()
    await page.getByRole('heading', { name: 'Events', exact: true }).click()
    await page.keyboard.press('j')
    await expect.poll(selectedEvent).toBe(second)
    await page.keyboard.press('j')
    await expect.poll(selectedEvent).toBe(first)
    await page.keyboard.press('k')
    await expect.poll(selectedEvent).toBe(second)
    await page.keyboard.press('Enter')
    await expect.poll(() => page.url()).toBe(`${c.base}/ui/events/${second}`)
  })

  it('shows an event: its exact bytes, parsed body, headers, verification and deliveries; the deep link survives reload', async () => {
    // Spacing JSON.stringify would not write: the raw view must show the bytes, not a re-serialisation.
    const payload = `{"type":"ContactCreate",  "locationId":"loc_detail", "id":"contact_detail",\n "webhookId":"${crypto.randomUUID()}", "email":"é@example.com"}`
    // The sender's trace: with no OpenTelemetry SDK here, the attempt continues it (tracing.ts).
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const eventId = await sendRaw(payload, {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      tracestate: 'congo=t61rcWkgMzE',
    })
    await until(
      async () => (await adminGet(`/api/events/${eventId}`)).deliveries[0]?.state === 'succeeded',
      'crm-sync delivered the event',
    )

    const detail = await adminGet(`/api/events/${eventId}`)
    expect([detail.traceId, detail.traceParent, detail.traceState]).toEqual([
      traceId,
      `00-${traceId}-00f067aa0ba902b7-01`,
      'congo=t61rcWkgMzE',
    ])
    const w = await loggedIn(`ui/events/${eventId}`)
    const { page } = w
    await page.getByRole('heading', { name: /ContactCreate/ }).waitFor()
    expect(await page.getByLabel('Raw body').textContent()).toBe(payload)
    expect(await page.getByLabel('Parsed body').textContent()).toContain('"id": "contact_detail"')
    expect(await page.getByLabel('Headers', { exact: true }).textContent()).toContain('x-ghl-signature: ')
    await page.getByText('ghl-ed25519').first().waitFor()
    await page.getByRole('heading', { name: /crm-sync/ }).waitFor()
    expect(await page.locator('dl.facts code.trace').textContent()).toBe(traceId)
    const attempts = page.getByRole('table', { name: 'Attempts to crm-sync' })
    expect(await attempts.textContent()).toContain('200')
    expect(await attempts.getByRole('columnheader', { name: 'Trace' }).count()).toBe(1)
    expect(await attempts.locator('td.trace code').textContent()).toBe(traceId)

    await page.reload()
    await page.getByRole('heading', { name: /crm-sync/ }).waitFor()
    expect(page.url()).toBe(`${c.base}/ui/events/${eventId}`)

    await page.getByRole('link', { name: 'crm-sync' }).click()
    await page.getByRole('heading', { name: /crm-sync/ }).waitFor()
    expect(page.url()).toMatch(/\/ui\/deliveries\/dlv_/)
    await page.reload()
    await page.getByRole('heading', { name: 'Attempts' }).waitFor()

    // Filters live in the URL: back returns to them, reload keeps them.
    await page.goto(`${c.base}/ui/events?locationId=loc_detail`)
    await page.getByRole('link', { name: 'ContactCreate' }).first().click()
    await page.getByLabel('Raw body').waitFor()
    await page.goBack()
    await expect.poll(() => page.getByLabel('Location', { exact: true }).inputValue()).toBe('loc_detail')
    await expect.poll(() => page.getByRole('row').count()).toBe(2)
  })

  it('searches the payloads from the search box: the query goes into the URL, and reload keeps it', async () => {
    const needle = `needle-${crypto.randomUUID().slice(0, 8)}@example.com`
    const eventId = await send(contactCreate({ locationId: 'loc_search', email: needle }))
    await send(contactCreate({ locationId: 'loc_search' }))
    const w = await loggedIn('ui/events')
    const { page } = w
    await page.getByLabel('Search').fill(needle)
    await page.getByLabel('Search').press('Enter')
    await expect.poll(() => page.url()).toContain(`q=${encodeURIComponent(needle)}`)
    await page.getByRole('link', { name: 'ContactCreate' }).waitFor()
    await expect.poll(() => page.getByRole('row').count()).toBe(2)
    await page.reload()
    await page.getByRole('link', { name: 'ContactCreate' }).click()
    await expect.poll(() => page.url()).toBe(`${c.base}/ui/events/${eventId}`)
  })

  it('keeps a hostile payload inert: shown as text, no element made from it, no script run', async () => {
    const img = `<img src=x onerror="alert('img')">`
    const script = `<script>alert('script')</script>`
    const eventId = await send(
      contactCreate({ locationId: 'loc_hostile', id: img, firstName: img, lastName: script, tags: [script] }),
    )
    const w = await loggedIn('ui/events?locationId=loc_hostile')
    const { page } = w
    await page.getByRole('cell', { name: img }).waitFor()
    await page.goto(`${c.base}/ui/events/${eventId}`)
    await page.getByLabel('Raw body').waitFor()
    expect(await page.getByLabel('Raw body').textContent()).toContain(img.replaceAll('"', '\\"'))
    expect(await page.getByLabel('Parsed body').textContent()).toContain(script)
    // Nothing was built from it: no <img src=x>, no script but the console's own.
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.locator('script:not([src])').count()).toBe(0)
    expect(await page.locator('script').count()).toBe(1)
    // afterEach: no dialog opened, no CSP violation logged.
  })

  it('replays a dead delivery from the DLQ, and the delivery page then shows it succeeded', async () => {
    auditFails = true
    const eventId = await send(contactCreate({ type: 'ContactUpdate', locationId: 'loc_dlq' }))
    const dead = await until(async () => {
      const page = await adminGet('/api/dlq?subscriber=audit')
      return page.data.find((d: { eventId: string }) => d.eventId === eventId)
    }, 'the audit delivery is dead')
    auditFails = false

    const w = await loggedIn('ui/dlq?subscriber=audit')
    const { page } = w
    await page.getByRole('button', { name: `Replay ${dead.id}` }).click()
    await page
      .getByRole('status')
      .filter({ hasText: `Replayed ${dead.id}` })
      .waitFor()
    await until(
      async () => (await adminGet(`/api/deliveries/${dead.id}`)).state === 'succeeded',
      'the replayed delivery succeeded',
    )
    await page.goto(`${c.base}/ui/deliveries/${dead.id}`)
    await page.getByRole('heading', { name: /audit/ }).waitFor()
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('succeeded')
    expect(await page.getByRole('table').textContent()).toContain('replay 1')
    // Sent without a traceparent and no SDK here: no trace, so no Trace column.
    expect(await page.getByRole('columnheader', { name: 'Trace' }).count()).toBe(0)

    // Replaying from the delivery page says so and reloads it: a third cycle, run by the worker.
    await page.getByRole('button', { name: 'Replay', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Replayed: a new cycle started.' }).waitFor()
    await until(
      async () => (await adminGet(`/api/deliveries/${dead.id}`)).cycle === 2,
      'the delivery replayed from its page',
    )
  })

  it('pauses and resumes a destination', async () => {
    const w = await loggedIn('ui/destinations')
    const { page } = w
    await page.getByRole('link', { name: 'crm-sync' }).click()
    await page.getByRole('button', { name: 'Pause' }).click()
    await page.getByRole('button', { name: 'Resume' }).waitFor()
    expect((await adminGet('/api/destinations/crm-sync')).state).toBe('paused')
    await page.reload()
    await page.getByRole('button', { name: 'Resume' }).click()
    await page.getByRole('button', { name: 'Pause' }).waitFor()
    expect((await adminGet('/api/destinations/crm-sync')).state).toBe('active')
  })

  it('the watchers catch what they watch for: an inline script refused by the CSP, a request to another host', async () => {
    const w = await watchedPage(c.browser)
    await w.page.goto(`${c.base}/ui/`)
    await w.page.getByRole('heading', { name: 'ghl-gateway console' }).waitFor()
    // Page code, as text: this file is compiled without the DOM's types.
    const ran = await w.page.evaluate(`(() => {
      const inline = document.createElement('script')
      inline.textContent = 'window.inlineRan = true'
      document.body.append(inline)
      return window.inlineRan === true
    })()`)
    expect(ran).toBe(false)
    await until(() => w.cspViolations().length > 0, 'the CSP violation is logged')
    await w.page.goto('http://example.com/').catch(() => {})
    expect(w.offHost).toContain('http://example.com/')
    await w.close()
  })
})
