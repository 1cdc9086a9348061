import { createPublicKey } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CATALOG } from '../src/catalog/index.js'
import { keyId } from '../src/verify/index.js'
import { useConsoleGateway } from './support/console-gateway.js'
import { type StoreKind, testEd25519Key } from './support/test-app.js'

/**
 * The console's catalog pages in real Chromium against a real gateway on each store, with
 * CONSOLE_SAMPLE_SIGNING_KEY set: the 77 events, filters that narrow (and survive a reload), the
 * detail with its schema and sample, and "Send this sample to this gateway" landing on the event it
 * stored. (Without the key the route answers sample_key_not_configured: test/catalog-routes.test.ts.)
 */

const sampleKey = testEd25519Key()
const keyFile = join(mkdtempSync(join(tmpdir(), 'ghl-gateway-console-catalog-')), 'sample.pem')
writeFileSync(keyFile, sampleKey.privateKey.export({ format: 'pem', type: 'pkcs8' }))
const sampleKeyId = keyId('ed25519', createPublicKey(sampleKey.privateKey))

describe.each<StoreKind>(['sqlite', 'postgres'])('the console catalog, in Chromium, on %s', (kind) => {
  const c = useConsoleGateway(kind, {
    env: { CONSOLE_SAMPLE_SIGNING_KEY: keyFile, GHL_ED25519_PUBLIC_KEYS: sampleKey.spki },
  })
  const rows = (w: { page: import('playwright-core').Page }) => w.page.locator('table.catalog tbody tr')

  it('lists the 77 events; search and category narrow it, in the URL, and a reload keeps the view', async () => {
    const w = await c.loggedIn('ui/catalog')
    await expect.poll(() => rows(w).count()).toBe(CATALOG.length)
    expect(CATALOG).toHaveLength(77)
    await w.page.getByRole('link', { name: 'Catalog', exact: true }).waitFor()

    await w.page.getByLabel('Search').fill('Invoice')
    const invoices = CATALOG.filter(
      (e) => e.name.includes('Invoice') || e.canonical.includes('invoice'),
    ).length
    await expect.poll(() => rows(w).count()).toBe(invoices)
    expect(new URL(w.page.url()).searchParams.get('q')).toBe('Invoice')
    await w.page.getByLabel('Search').fill('')
    await w.page.getByLabel('Category').selectOption('contact')
    const contacts = CATALOG.filter((e) => e.category === 'contact').length
    await expect.poll(() => rows(w).count()).toBe(contacts)
    expect(contacts).toBeLessThan(77)

    await w.page.reload()
    await expect.poll(() => rows(w).count()).toBe(contacts)
    expect(await w.page.getByLabel('Category').inputValue()).toBe('contact')

    await w.page.getByRole('link', { name: 'ContactCreate', exact: true }).click()
    await w.page.getByRole('heading', { name: 'ContactCreate', level: 1 }).waitFor()
    expect(new URL(w.page.url()).pathname).toBe('/ui/catalog/ContactCreate')
  })

  it('the detail shows the metadata, the sample and the JSON Schema, and survives a reload', async () => {
    const w = await c.loggedIn('ui/catalog/OpportunityStageUpdate')
    await w.page.getByRole('heading', { name: 'OpportunityStageUpdate', level: 1 }).waitFor()
    await w.page.getByText('opportunity.stage_changed', { exact: true }).first().waitFor()
    const sample = w.page.getByRole('region', { name: 'Sample payload' })
    expect(JSON.parse((await sample.textContent()) ?? '')).toMatchObject({ type: 'OpportunityStageUpdate' })
    await w.page.getByRole('button', { name: 'Copy sample' }).waitFor()

    const schema = w.page.getByRole('region', { name: 'JSON Schema' })
    expect(await schema.isVisible()).toBe(false)
    await w.page.getByText('Show the JSON Schema of the body').click()
    expect(await schema.textContent()).toContain('pipelineStageId')

    await w.page.reload()
    await w.page.getByRole('heading', { name: 'OpportunityStageUpdate', level: 1 }).waitFor()
    const unknown = await c.loggedIn('ui/catalog/NoSuchEvent')
    await unknown.page
      .getByRole('alert')
      .getByText(/no GHL event named NoSuchEvent/)
      .waitFor()
  })

  it('"Send this sample to this gateway" lands on the stored, verified event; the catalog counts it', async () => {
    const w = await c.loggedIn('ui/catalog/InvoicePaid')
    await w.page.getByText(sampleKeyId).waitFor()
    await w.page.getByRole('button', { name: 'Send this sample to this gateway' }).click()
    await w.page.waitForURL(/\/ui\/events\/evt_/)
    const eventId = new URL(w.page.url()).pathname.split('/').pop()!
    await w.page
      .getByRole('heading', { name: new RegExp(eventId) })
      .or(w.page.getByText(eventId).first())
      .first()
      .waitFor()
    const stored = await c.adminGet(`/api/events/${eventId}`)
    expect(stored).toMatchObject({
      name: 'InvoicePaid',
      verification: { verified: true, keyId: sampleKeyId },
    })

    await w.page.goBack()
    await w.page.getByRole('heading', { name: 'InvoicePaid', level: 1 }).waitFor()
    await w.page.getByRole('link', { name: 'Catalog', exact: true }).first().click()
    await w.page.getByLabel('Search').fill('InvoicePaid')
    await expect.poll(() => rows(w).count()).toBe(1)
    const row = rows(w).first()
    expect(await row.locator('td.num').first().textContent()).toBe('1')
    await row.getByRole('link', { name: 'Events of type invoice.paid' }).click()
    await w.page.waitForURL(/\/ui\/events\?type=invoice\.paid/)
    await w.page.locator(`table a[href$="/ui/events/${eventId}"]`).waitFor()
  })
})
