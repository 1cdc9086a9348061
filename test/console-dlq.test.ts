import { describe, expect, it } from 'vitest'
import { PermanentError } from '../src/deliver/errors.js'
import { handlerSubscriber } from '../src/gateway.js'
import { newId } from '../src/ids.js'
import { useConsoleGateway } from './support/console-gateway.js'
import { contactCreate, type StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * The DLQ page's bulk side in real Chromium against a real gateway (worker and job runner running)
 * on each store: the count shown before confirming, a background replay job whose progress reaches
 * done and whose deliveries then succeed, the queue grouped by error with a group purged, and a job
 * held by another (absent) process cancelled from the recent jobs.
 */

describe.each<StoreKind>(['sqlite', 'postgres'])('the DLQ page in bulk, in Chromium, on %s', (kind) => {
  /** The `bulk` handler (ContactUpdate) dead-letters while this is true, with a varying number. */
  let fails = true
  let calls = 0
  const c = useConsoleGateway(kind, {
    async setup(gateway) {
      gateway.registry.add(
        handlerSubscriber(
          'bulk',
          ['ContactUpdate'],
          async () => {
            calls += 1
            if (fails) throw new PermanentError(`timeout after ${5000 + calls} ms`)
          },
          {},
          () => gateway,
        ),
      )
    },
  })
  const deadCount = async () => (await c.adminGet('/api/dlq/count?subscriber=bulk')).count as number
  const makeDead = async (n: number) => {
    fails = true
    const before = await deadCount()
    for (let i = 0; i < n; i++) await c.send(contactCreate({ type: 'ContactUpdate', locationId: 'loc_bulk' }))
    await until(async () => (await deadCount()) === before + n, `${n} more dead deliveries`)
  }

  it('shows the count first, replays everything matching in a background job to done, and the deliveries succeed', async () => {
    await makeDead(12)
    const { page } = await c.loggedIn('ui/dlq?subscriber=bulk')
    await page.getByRole('button', { name: 'Replay all matching…' }).click()
    await page
      .getByRole('status')
      .filter({ hasText: 'Replay 12 dead deliveries matching subscriber=bulk?' })
      .waitFor()
    fails = false
    await page.getByRole('button', { name: 'Replay 12', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Done: replayed 12 dead deliveries.' }).waitFor()
    expect(await page.getByRole('progressbar').getAttribute('value')).toBe('12')
    await until(async () => {
      const page = await c.adminGet('/api/deliveries?subscriber=bulk&state=succeeded&limit=100')
      return page.data.length === 12
    }, 'the 12 replayed deliveries succeeded')
    expect(await deadCount()).toBe(0)
    await page.getByRole('table', { name: 'Recent bulk jobs' }).getByText('succeeded').waitFor()
  })

  it('groups the dead-letter queue by error and purges a group as a job', async () => {
    await makeDead(3)
    const { page } = await c.loggedIn('ui/dlq?subscriber=bulk&view=groups')
    const row = page.getByRole('row').filter({ hasText: 'PermanentError: timeout after # ms' })
    await row.waitFor()
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('3')
    await row.getByRole('button', { name: 'Purge this group…' }).click()
    await row
      .getByRole('status')
      .filter({ hasText: 'Purge 3 dead deliveries matching subscriber=bulk, fingerprint=' })
      .waitFor()
    await row.getByRole('button', { name: 'Purge 3', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Done: purged 3 dead deliveries.' }).waitFor()
    expect(await deadCount()).toBe(0)
    const discarded = await c.adminGet('/api/deliveries?subscriber=bulk&state=discarded&limit=100')
    expect(discarded.data).toHaveLength(3)
    await page.getByText('No dead delivery to group').waitFor()
  })

  it('cancels a job another process holds, from the recent jobs', async () => {
    await makeDead(2)
    const { store } = c.gateway
    // A job leased for a minute by a process that is gone: this gateway's runner leaves it alone.
    const job = await store.createDlqJob({
      id: newId('job'),
      action: 'replay',
      filter: { subscriberId: 'bulk' },
      total: 2,
      totalCapped: false,
      now: Date.now(),
    })
    expect(await store.claimDlqJob('a-process-that-died', Date.now(), 60_000)).toBe(job.id)
    const { page } = await c.loggedIn('ui/dlq?subscriber=bulk')
    await page.getByRole('button', { name: `Cancel job ${job.id}` }).click()
    await until(
      async () => (await c.adminGet(`/api/dlq/jobs/${job.id}`)).state === 'cancelled',
      'the job is cancelled',
    )
    await page.getByRole('button', { name: `Cancel job ${job.id}` }).waitFor({ state: 'detached' })
    expect(await deadCount()).toBe(2)
  })
})
