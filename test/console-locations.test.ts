import { describe, expect, it } from 'vitest'
import { handlerSubscriber } from '../src/gateway.js'
import { useConsoleGateway } from './support/console-gateway.js'
import { contactCreate, type StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * The Locations pages in Chromium against a real gateway on each store: a location appears after
 * webhooks sent in the test, its page shows its volume and a blocked ordered lane — a handler that
 * fails for one contact while a second event of that contact waits — whose head event link opens
 * the event, and deep links survive a reload.
 */

const LOCATION = 'loc_console_lanes'
const BLOCKED = 'contact_blocked'

describe.each<StoreKind>(['sqlite', 'postgres'])('the Locations pages, in Chromium, on %s', (kind) => {
  const c = useConsoleGateway(kind, {
    async setup(gateway) {
      gateway.registry.add(
        handlerSubscriber(
          'crm-mirror',
          ['ContactCreate', 'ContactUpdate'],
          async (event) => {
            if (JSON.stringify(event).includes(BLOCKED)) throw new Error('the CRM refused this contact')
          },
          // One lane per contact; a retry far away, so the lane stays blocked while the test looks.
          { ordered: 'entity', retry: { minDelay: '10m', maxDelay: '10m', maxAttempts: 5 } },
          () => gateway,
        ),
      )
    },
  })

  it('lists a location seen in this test; its page shows the volume and the blocked lane, whose head opens the event; reloads keep both', async () => {
    const head = await c.send(contactCreate({ type: 'ContactCreate', locationId: LOCATION, id: BLOCKED }))
    const behind = await c.send(contactCreate({ type: 'ContactUpdate', locationId: LOCATION, id: BLOCKED }))
    await c.send(contactCreate({ type: 'ContactCreate', locationId: LOCATION, id: 'contact_fine' }))
    const lanes = await until(async () => {
      const detail = await c.adminGet(`/api/locations/${LOCATION}`)
      return detail.blockedLanes?.length ? detail.blockedLanes : null
    }, 'the blocked lane')
    expect(lanes).toEqual([expect.objectContaining({ eventId: head, subscriber: 'crm-mirror', waiting: 1 })])
    expect(behind).not.toBe(head)

    const w = await c.loggedIn('ui/locations')
    const { page } = w
    const row = page.getByRole('row', { name: new RegExp(LOCATION) })
    await expect.poll(() => row.getByRole('cell').first().textContent()).toBe('location')
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('3')
    await row.getByRole('link', { name: LOCATION }).click()

    await page.getByRole('heading', { name: LOCATION, level: 1 }).waitFor()
    const detailUrl = page.url()
    expect(new URL(detailUrl).pathname).toBe(`/ui/locations/${LOCATION}`)
    const checkDetail = async () => {
      const facts = page.getByRole('region', { name: 'As a location' })
      await expect.poll(() => facts.textContent()).toContain('Volume, last 24h3')
      const lanesTable = page.getByRole('table', { name: /Ordered lanes/ })
      const lane = lanesTable.getByRole('row', { name: /crm-mirror/ })
      await expect.poll(() => lane.textContent()).toContain('the CRM refused this contact')
      expect(await lane.textContent()).toContain(`contact ${BLOCKED}`)
      return lane
    }
    await checkDetail()
    await page.reload()
    const lane = await checkDetail()

    await lane.getByRole('link', { name: 'ContactCreate' }).click()
    await page.waitForURL(`**/ui/events/${head}`)
    await expect.poll(() => page.getByText(head).first().isVisible()).toBe(true)
    // The event's location links back to the location's page.
    await page.getByRole('link', { name: LOCATION }).click()
    await page.waitForURL(`**/ui/locations/${LOCATION}`)
    await page.goBack()
    await page.waitForURL(`**/ui/events/${head}`)

    // The list's deep link (window and start id in the URL) survives a reload.
    await page.goto(`${c.base}/ui/locations?window=1h&from=${LOCATION}`)
    const first = page.getByRole('table').getByRole('row').nth(1)
    await expect.poll(() => first.textContent()).toContain(LOCATION)
    await page.reload()
    await expect.poll(() => first.textContent()).toContain(LOCATION)
    expect(await page.getByLabel('Window').inputValue()).toBe('1h')
    expect(await page.getByLabel('Starting at id').inputValue()).toBe(LOCATION)
  })
})
