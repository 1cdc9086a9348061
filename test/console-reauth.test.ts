import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useConsoleGateway } from './support/console-gateway.js'
import type { StoreKind } from './support/test-app.js'

/**
 * Re-authorisation in the console, in Chromium against a real gateway on each store: the Locations
 * page says how many locations need the app installed again and links to the list, which shows each
 * one's reason (as text) and what to do; nothing is said while none does.
 */

describe.each<StoreKind>(['sqlite', 'postgres'])(
  're-authorisation in the console, in Chromium, on %s',
  (kind) => {
    const c = useConsoleGateway(kind, { env: { GHL_TOKEN_KEY: randomBytes(32).toString('base64') } })

    it('the Locations page links to the tokens GHL refused; each row says why and what to do', async () => {
      const w = await c.loggedIn('ui/locations')
      const { page } = w
      await page.getByRole('heading', { name: 'Locations', level: 1 }).waitFor()
      await expect
        .poll(() => page.getByText('No event names a location or company yet.').isVisible())
        .toBe(true)
      expect(await page.getByText(/need the app installed again/).count()).toBe(0)

      for (const [kindOf, id] of [
        ['location', 'loc_pit_refused'],
        ['company', 'comp_pit_refused'],
        ['location', 'loc_pit_fine'],
      ] as const) {
        const answer = await c.adminSend('PUT', `/api/ghl/private-tokens/${kindOf}/${id}`, {
          token: `pit-${id}`,
        })
        expect(answer.status).toBe(201)
      }
      const store = c.gateway.store
      const now = Date.now()
      await store.setGhlTokenStatus(
        { appId: 'private', userType: 'Location', ownerId: 'loc_pit_refused' },
        'needs_reauth',
        'GHL said <b>no</b>',
        now,
      )
      await store.setGhlTokenStatus(
        { appId: 'private', userType: 'Company', ownerId: 'comp_pit_refused' },
        'needs_reauth',
        null,
        now,
      )
      // An app's token whose refresh token GHL refused (the ciphertexts are never read to list it).
      const app = { appId: 'app_console', userType: 'Location', ownerId: 'loc_app_refused' } as const
      await store.putGhlToken(
        app,
        {
          keyId: 'key_x',
          accessToken: Buffer.from('x'),
          refreshToken: Buffer.from('y'),
          expiresAt: now,
          scopes: '',
          companyId: null,
        },
        now,
      )
      await store.setGhlTokenStatus(
        app,
        'needs_reauth',
        'refreshing a token: GHL answered 400 invalid_grant',
        now,
      )

      await page.reload()
      const notice = page.getByRole('status').filter({ hasText: 'need the app installed again' })
      await expect
        .poll(() => notice.textContent())
        .toBe('3 locations need the app installed again: their GHL calls fail until then. See which')
      await notice.getByRole('link', { name: 'See which' }).click()
      await page.waitForURL('**/ui/ghl-tokens')
      const check = async () => {
        const table = page.getByRole('table', { name: '3 tokens refused by GHL, by app and id' })
        await table.waitFor()
        const rows = table.getByRole('row')
        await expect.poll(() => rows.count()).toBe(4)
        const pit = table.getByRole('row', { name: /loc_pit_refused/ })
        // GHL's words as text, never as markup.
        expect(await pit.getByRole('cell').nth(1).textContent()).toBe('GHL said <b>no</b>')
        expect(await pit.textContent()).toContain(
          'ghl-gateway ghl private-token set location loc_pit_refused',
        )
        const company = table.getByRole('row', { name: /comp_pit_refused/ })
        expect(await company.textContent()).toContain(
          'ghl-gateway ghl private-token set company comp_pit_refused',
        )
        const oauth = table.getByRole('row', { name: /loc_app_refused/ })
        expect(await oauth.textContent()).toContain('App app_console')
        expect(await oauth.textContent()).toContain('Install the app on this location again')
        expect(await table.textContent()).not.toContain('loc_pit_fine')
      }
      await check()
      await page.reload()
      await check()
    })
  },
)
