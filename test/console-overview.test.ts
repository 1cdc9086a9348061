import { describe, expect, it } from 'vitest'
import { useConsoleGateway } from './support/console-gateway.js'
import { contactCreate, type StoreKind } from './support/test-app.js'

/**
 * The console's overview (/ui, /ui/overview) in real Chromium against a real gateway on each
 * store: the landing page after login, its empty state, numbers and charts following webhooks
 * sent during the test, the chart window in the URL, destinations that need attention. Every page
 * is watched for CSP violations, dialogs, errors and off-host requests (support/console-gateway.ts).
 */

describe.each<StoreKind>(['sqlite', 'postgres'])('the console overview, in Chromium, on %s', (kind) => {
  const c = useConsoleGateway(kind)
  const receivedCaption = (w: { page: import('playwright-core').Page }) =>
    w.page.locator('figure.chart.received figcaption').textContent()

  it('is where /ui lands: empty at first, teaching where to send; the numbers follow webhooks sent during the test', async () => {
    const w = await c.loggedIn('ui/')
    await w.page.getByRole('heading', { name: 'Overview', exact: true }).waitFor()
    expect(await w.page.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page')
    await w.page.getByRole('heading', { name: 'No events yet' }).waitFor()
    expect(await w.page.locator('.empty').textContent()).toContain(`${c.base}/webhooks/ghl`)
    expect(await w.page.locator('.empty').textContent()).toContain('ghl-gateway send ContactCreate')
    await w.page.getByRole('heading', { name: /Health\s+healthy/ }).waitFor()
    await expect.poll(() => receivedCaption(w)).toContain('0 received in this window')
    // Each chart is a labelled image with its numbers in a table for screen readers.
    expect(await w.page.getByRole('img', { name: /^Received \/ s/ }).count()).toBe(1)
    expect(await w.page.locator('#chart-received-table tbody tr').count()).toBe(60)

    await c.send(contactCreate({ locationId: 'loc_overview_1' }))
    await c.send(contactCreate({ locationId: 'loc_overview_2' }))
    // The live stream triggers a refresh within about a second (the timer's 10 s would do too).
    await expect.poll(() => receivedCaption(w), { timeout: 15_000 }).toContain('2 received in this window')
    await w.page.getByRole('heading', { name: 'No events yet' }).waitFor({ state: 'detached' })
    // The sends land in the newest bucket, or in the one before it when a minute turned between
    // the send and the render (CI caught that once); never further back.
    const rates = (
      await w.page.locator('#chart-received-table tbody tr td:last-child').allTextContents()
    ).map(Number)
    expect(rates.slice(-2).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    expect(rates.slice(0, -2).every((r) => r === 0)).toBe(true)
    const facts = w.page.locator('section[aria-labelledby="health-heading"] dl.facts')
    await expect.poll(() => facts.textContent()).toContain('Events in the last hour2')
  })

  it('keeps the chart window in the URL (a click changes it, reload keeps it); the time axis follows the UTC/local switch', async () => {
    const w = await c.loggedIn('ui/overview')
    const week = w.page.getByRole('link', { name: 'Last 7 days', exact: true })
    await week.click()
    expect(new URL(w.page.url()).searchParams.get('window')).toBe('7d')
    await expect.poll(() => week.getAttribute('aria-current')).toBe('page')
    // Over a week, each bucket is 168 minutes and the axis shows dates.
    const caption = w.page.locator('#chart-received-table caption')
    await expect.poll(() => caption.textContent()).toContain('per bucket of 168 minutes (UTC)')
    expect(await w.page.locator('#chart-received-table tbody td').first().textContent()).toMatch(
      /^\d\d-\d\d \d\d:\d\d$/,
    )

    await w.page.reload()
    await w.page.getByRole('heading', { name: 'Overview', exact: true }).waitFor()
    await expect
      .poll(() => w.page.getByRole('link', { name: 'Last 7 days', exact: true }).getAttribute('aria-current'))
      .toBe('page')
    expect(
      await w.page.getByRole('link', { name: 'Last hour', exact: true }).getAttribute('aria-current'),
    ).toBeNull()
    await expect.poll(() => caption.textContent()).toContain('168 minutes')

    await w.page.getByRole('button', { name: /Times in UTC/ }).click()
    await expect.poll(() => caption.textContent()).toContain('(local time)')
    await w.page.getByRole('button', { name: /Times in local time/ }).click()
    await expect.poll(() => caption.textContent()).toContain('(UTC)')
  })

  it('lists the destinations that need attention: a paused one, with its reason and a link', async () => {
    expect(
      (
        await c.adminSend('POST', '/api/destinations', {
          id: 'crm-overview',
          url: c.sink.url,
          events: ['contact.*'],
        })
      ).status,
    ).toBe(201)
    expect(
      (await c.adminSend('POST', '/api/destinations/crm-overview/pause', { reason: 'CRM maintenance' }))
        .status,
    ).toBe(200)
    const w = await c.loggedIn('ui/overview')
    const table = w.page.getByRole('table', { name: 'Destinations that need attention' })
    await table.getByRole('cell', { name: 'CRM maintenance' }).waitFor()
    await table.getByRole('link', { name: 'crm-overview' }).click()
    expect(new URL(w.page.url()).pathname).toBe('/ui/destinations/crm-overview')
  })
})
