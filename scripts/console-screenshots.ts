// Takes the screenshots in docs/console/ (`npm run screenshots`, after `npm run build`): a gateway on
// a temporary SQLite file with a little sample traffic, a local destination, a handler that
// dead-letters one event, and Chromium (/usr/bin/chromium) showing each main view.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { assemble, open } from '../src/assemble.js'
import { loadConfig } from '../src/config/index.js'
import { PermanentError } from '../src/deliver/errors.js'
import { handlerSubscriber } from '../src/gateway.js'

const OUT = fileURLToPath(new URL('../docs/console/', import.meta.url))
const TOKEN = 'screenshots-admin-token'

const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
const dir = mkdtempSync(join(tmpdir(), 'ghl-console-shots-'))
const sink = createServer((_req, res) => res.end('ok'))
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`

const env = {
  DATABASE_URL: `sqlite:${join(dir, 'gateway.db')}`,
  ADMIN_TOKEN: TOKEN,
  GHL_ED25519_PUBLIC_KEYS: spki,
  HOST: '127.0.0.1',
  PORT: '0',
  EGRESS_ALLOW: '127.0.0.1',
  LOG_LEVEL: 'warn',
  SHUTDOWN_TIMEOUT: '1s',
}
const config = loadConfig({ env, cwd: dir })
const gateway = await assemble(config, { env })
gateway.registry.add(
  handlerSubscriber(
    'billing-audit',
    ['InvoicePaid'],
    async () => {
      throw new PermanentError('the audit service answered 422: unknown invoice')
    },
    {},
    () => gateway,
  ),
)
// Locations: an ordered handler that keeps failing for one contact, so that contact's lane is blocked.
gateway.registry.add(
  handlerSubscriber(
    'crm-mirror',
    ['ContactUpdate'],
    async (event) => {
      if (JSON.stringify(event).includes('ct_blocked')) throw new Error('CRM answered 503: contact locked')
    },
    { ordered: 'entity', retry: { minDelay: '10m', maxDelay: '1h' } },
    () => gateway,
  ),
)
const base = await open(gateway)
const admin = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
await fetch(`${base}/api/destinations`, {
  method: 'POST',
  headers: admin,
  body: JSON.stringify({ id: 'crm-sync', url: sinkUrl, events: ['contact.*', 'opportunity.*'] }),
})

const send = async (path: string, body: Record<string, unknown>) => {
  const payload = JSON.stringify({ webhookId: randomUUID(), timestamp: new Date().toISOString(), ...body })
  const signature = sign(null, Buffer.from(payload), privateKey).toString('base64')
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ghl-signature': signature },
    body: payload,
  })
  return ((await response.json()) as { eventId: string }).eventId
}

const locations = ['ve9EPM428h8vShlRW1KT', 'Kt3rQp0LmN8sVw2xYz41']
let contactEvent = ''
for (let i = 0; i < 12; i++) {
  const locationId = locations[i % 2]
  contactEvent = await send('/webhooks/ghl', {
    type: i % 3 === 0 ? 'ContactUpdate' : 'ContactCreate',
    locationId,
    id: `ct_${randomUUID().slice(0, 8)}`,
    firstName: ['Jane', 'Omar', 'Li', 'Ana'][i % 4],
    email: `contact${i}@example.com`,
  })
  if (i % 4 === 0) {
    await send('/webhooks/ghl', {
      type: 'OpportunityStageUpdate',
      locationId,
      id: `op_${randomUUID().slice(0, 8)}`,
      pipelineId: 'pl_1',
      pipelineStageId: 'st_2',
      status: 'open',
    })
  }
}
// One contact updated three times, for the timeline.
const timelineContact = 'ct_timeline1'
for (const [email, tags, tier] of [
  ['jane@example.com', ['lead'], 'silver'],
  ['jane.doe@example.com', ['lead', 'vip'], 'silver'],
  ['jane.doe@example.com', ['vip'], 'gold'],
] as const) {
  await send('/webhooks/ghl', {
    type: 'ContactUpdate',
    locationId: locations[0],
    id: timelineContact,
    webhookId: randomUUID(),
    timestamp: new Date().toISOString(),
    firstName: 'Jane',
    email,
    tags,
    customFields: [{ id: 'tier', value: tier }],
  })
}
await send('/webhooks/ghl/InvoicePaid', {
  altId: locations[0],
  altType: 'location',
  _id: `inv_${randomUUID().slice(0, 8)}`,
  status: 'paid',
  total: 120,
})
for (const firstName of ['Blocked', 'Waiting', 'Also waiting'])
  await send('/webhooks/ghl', {
    type: 'ContactUpdate',
    locationId: locations[0],
    id: 'ct_blocked',
    firstName,
  })
// Let the worker deliver (and dead-letter the invoice).
await new Promise((resolve) => setTimeout(resolve, 1500))

mkdirSync(OUT, { recursive: true })
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
})
try {
  for (const scheme of ['light', 'dark'] as const) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: scheme })
    const page = await context.newPage()
    await page.goto(`${base}/ui/events`)
    if (scheme === 'light') await page.screenshot({ path: join(OUT, 'login.png') })
    await page.getByLabel('Admin token').fill(TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('Live', { exact: true }).waitFor()
    const suffix = scheme === 'dark' ? '-dark' : ''
    await page.screenshot({ path: join(OUT, `events${suffix}.png`) })
    if (scheme === 'light') {
      await page.goto(`${base}/ui/events/${contactEvent}`)
      await page.getByLabel('Raw body').waitFor()
      await page.screenshot({ path: join(OUT, 'event.png'), fullPage: true })
      await page.goto(`${base}/ui/entities/contact/${timelineContact}`)
      await page
        .getByRole('table', { name: /^Changes in / })
        .first()
        .waitFor()
      await page.screenshot({ path: join(OUT, 'timeline.png'), fullPage: true })
      await page.goto(`${base}/ui/dlq`)
      await page.getByRole('table').waitFor()
      await page.screenshot({ path: join(OUT, 'dlq.png') })
      await page.goto(`${base}/ui/dlq?view=groups`)
      await page.getByRole('button', { name: 'Replay this group…' }).click()
      await page.getByRole('status').filter({ hasText: 'Replay 1 dead delivery' }).waitFor()
      await page.screenshot({ path: join(OUT, 'dlq-groups.png') })
      await page.goto(`${base}/ui/destinations/crm-sync`)
      await page.getByRole('button', { name: 'Pause' }).waitFor()
      await page.getByRole('region', { name: 'Recent attempts' }).getByRole('table').waitFor()
      await page.screenshot({ path: join(OUT, 'destination.png'), fullPage: true })
      await page.goto(`${base}/ui/locations/${locations[0]}`)
      await page.getByRole('table', { name: /Ordered lanes/ }).waitFor()
      await page.screenshot({ path: join(OUT, 'locations.png'), fullPage: true })
      await page.goto(`${base}/ui/overview?window=1h`)
      await page
        .locator('figure.chart.received figcaption')
        .getByText(/[1-9]\d* received in this window/)
        .waitFor()
      await page.screenshot({ path: join(OUT, 'overview.png'), fullPage: true })
      await page.goto(`${base}/ui/catalog?sort=volume`)
      await page.locator('table.catalog').waitFor()
      await page.screenshot({ path: join(OUT, 'catalog.png') })
    }
    await context.close()
  }
} finally {
  await browser.close()
  await gateway.release()
  sink.close()
  rmSync(dir, { recursive: true, force: true })
}
console.log(`screenshots written to ${OUT}`)
