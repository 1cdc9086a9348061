import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { useConsoleGateway } from './support/console-gateway.js'
import { contactCreate, type StoreKind } from './support/test-app.js'

/**
 * The entity timeline and the rest of the event detail in real Chromium, on both stores: three
 * ContactUpdates of one contact; the event links to the timeline, which shows what changed
 * (old → new) and survives a reload; the event says what GHL got and copies a `ghl-gateway send`.
 */
describe.each<StoreKind>(['sqlite', 'postgres'])('console timeline (%s)', (kind) => {
  const c = useConsoleGateway(kind)

  it('follows an event to its contact timeline, shows each change old → new, and keeps it on reload', async () => {
    const contact = `tl_${kind}_${Date.now()}`
    const lastName = "O'Brien $(touch pwned) `touch pwned`"
    const update = (fields: Record<string, unknown>) =>
      c.send(
        contactCreate({
          type: 'ContactUpdate',
          id: contact,
          webhookId: crypto.randomUUID(),
          lastName,
          ...fields,
        }),
      )
    await update({ email: 'first@example.com', customFields: [{ id: 'tier', value: 'gold' }] })
    await update({ email: 'second@example.com', customFields: [{ id: 'tier', value: 'gold' }] })
    const last = await update({
      email: 'second@example.com',
      customFields: [{ id: 'tier', value: '<img src=x onerror=alert(1)>' }],
    })

    const { page } = await c.loggedIn(`ui/events/${last}`)
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: c.base })
    await expect
      .poll(() => page.locator('.retry-policy').textContent())
      .toMatch(/^GHL counts 200 as delivered/)
    await page.getByRole('button', { name: 'Copy as ghl-gateway send' }).click()
    await page.getByRole('button', { name: 'Copied' }).waitFor()
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string
    expect(copied).toContain(`ghl-gateway send --data '${last}.json' --to '${c.base}/webhooks/ghl'`)
    // The shell writes exactly the bytes received, quotes, $( ) and backticks included.
    const dir = mkdtempSync(join(tmpdir(), 'timeline-send-'))
    try {
      execFileSync('sh', ['-c', copied.split(' &&\n')[0]!], { cwd: dir })
      const received = Buffer.from((await c.adminGet(`/api/events/${last}`)).rawBody, 'base64')
      expect(readFileSync(join(dir, `${last}.json`)).equals(received)).toBe(true)
      expect(() => readFileSync(join(dir, 'pwned'))).toThrow()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }

    await page.getByRole('link', { name: 'Timeline of this contact' }).click()
    await page.waitForURL(`**/ui/entities/contact/${contact}`)
    const check = async () => {
      await page.getByRole('heading', { name: `Timeline of contact ${contact}` }).waitFor()
      const first = page.getByRole('table', { name: /^Changes in / }).first()
      await expect
        .poll(() => first.locator('tbody tr').allTextContents())
        .toEqual(['emailchanged"first@example.com" → "second@example.com"'])
      const second = page.getByRole('table', { name: /^Changes in / }).nth(1)
      expect(await second.locator('tbody tr').allTextContents()).toEqual([
        'customFields[id="tier"].valuechanged"gold" → "<img src=x onerror=alert(1)>"',
      ])
      expect(await page.locator('.timeline img').count()).toBe(0)
      expect(await page.getByText('the first event of this entity the gateway has').count()).toBe(1)
    }
    await check()
    await page.reload()
    await check()
  })
})
