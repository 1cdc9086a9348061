import { afterAll, describe, expect, it } from 'vitest'
import { handlerSubscriber } from '../src/gateway.js'
import { useConsoleGateway } from './support/console-gateway.js'
import { startFakeGhl } from './support/fake-ghl.js'
import { ghlAppEnv, installOnFake } from './support/ghl-install.js'
import { contactCreate, type StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * A delivery's page in real Chromium shows the GHL calls its handler made (ctx.ghl), on each store:
 * method, path, status, Version — and no token.
 */

const fake = await startFakeGhl()
const env = ghlAppEnv(fake)
afterAll(() => fake.close())

describe.each<StoreKind>(['sqlite', 'postgres'])(
  'GHL calls in the attempt log, in Chromium, on %s',
  (kind) => {
    const c = useConsoleGateway(kind, {
      env,
      async setup(gateway) {
        await installOnFake(gateway.store, fake, env, 'loc_console')
        gateway.registry.add(
          handlerSubscriber(
            'scorer',
            ['ContactCreate'],
            async (event, ctx) => {
              await ctx.ghl.contacts.addTags(event.entity.id ?? 'c1', ['scored'])
              await ctx.ghl.contacts.addNote(event.entity.id ?? 'c1', 'Scored 42')
            },
            {},
            () => gateway,
          ),
        )
      },
    })

    it('lists each call under the attempt', async () => {
      const eventId = await c.send(contactCreate({ locationId: 'loc_console', id: 'c_console' }))
      let deliveryId = ''
      await until(async () => {
        const event = await c.adminGet(`/api/events/${eventId}`)
        const delivery = event.deliveries.find((d: { subscriber: string }) => d.subscriber === 'scorer')
        deliveryId = delivery?.id ?? ''
        return delivery?.state === 'succeeded'
      }, 'the scorer delivery succeeded')
      const { page } = await c.loggedIn(`ui/deliveries/${deliveryId}`)
      await page.getByText('GHL calls: 2').click()
      const block = page.getByRole('region', { name: 'GHL calls' })
      await block.waitFor()
      const text = (await block.textContent()) ?? ''
      expect(text).toContain('POST /contacts/c_console/tags → 201')
      expect(text).toMatch(
        /POST \/contacts\/c_console\/notes → 201 \(\d+ ms, Version 2021-07-28, contacts\.addNote\)/,
      )
      expect(text).not.toMatch(/at-loc_console/)
    })
  },
)
