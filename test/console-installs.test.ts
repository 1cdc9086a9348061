import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useConsoleGateway } from './support/console-gateway.js'
import type { StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * The installs pages in a real Chromium against a real gateway: the list shows each installation
 * with its token state; a location's page sets and clears its tenant id, which the API then holds.
 */

const APP = 'app_ui'

describe.each<StoreKind>(['sqlite', 'postgres'])('the installs pages on %s', (kind) => {
  const c = useConsoleGateway(kind, {
    env: {
      GHL_CLIENT_ID: `${APP}-client`,
      GHL_CLIENT_SECRET: 'secret',
      GHL_TOKEN_KEY: randomBytes(32).toString('base64'),
      GHL_API_URL: 'http://127.0.0.1:9',
    },
    setup: async (gateway) => {
      const now = Date.now()
      await gateway.store.recordGhlInstall(
        { appId: APP, userType: 'Company', ownerId: 'comp_ui' },
        { companyId: null, bulk: true },
        now,
      )
      await gateway.store.recordGhlInstall(
        { appId: APP, userType: 'Location', ownerId: 'loc_ui' },
        { companyId: 'comp_ui', bulk: true },
        now,
      )
      await gateway.store.recordGhlInstall(
        { appId: APP, userType: 'Location', ownerId: 'loc_gone' },
        { companyId: 'comp_ui', bulk: false },
        now,
      )
      await gateway.store.uninstallGhlInstallation(
        { appId: APP, userType: 'Location', ownerId: 'loc_gone' },
        now,
      )
    },
  })

  it('lists installations, filters uninstalled ones, and sets then clears a location’s tenant id', async () => {
    const { page } = await c.loggedIn('ui/installs')
    const table = page.getByRole('table', { name: 'Installations' })
    await table.getByRole('link', { name: 'location loc_ui' }).waitFor()
    expect(await table.getByRole('row').count()).toBe(4)
    await page.getByLabel('Status').selectOption('uninstalled')
    await until(
      async () => (await table.getByRole('row').count()) === 2,
      'only the uninstalled location is listed',
    )
    await table.getByRole('link', { name: 'location loc_gone' }).waitFor()

    await page.getByLabel('Status').selectOption('')
    await table.getByRole('link', { name: 'location loc_ui' }).click()
    await page.getByRole('heading', { name: 'location loc_ui' }).waitFor()
    const form = page.getByRole('form', { name: 'Tenant id' })
    await form.getByLabel(/Tenant id/).fill('acme <42>')
    await form.getByRole('button', { name: 'Save' }).click()
    await page.getByRole('status').getByText('Tenant id set to acme <42>.').waitFor()
    expect((await c.adminGet('/api/installs/location/loc_ui')).tenantId).toBe('acme <42>')
    await form.getByRole('button', { name: 'Clear' }).click()
    await page.getByRole('status').getByText('Tenant id cleared.').waitFor()
    expect((await c.adminGet('/api/installs/location/loc_ui')).tenantId).toBeNull()
  })
})
