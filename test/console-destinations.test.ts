import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { useConsoleGateway } from './support/console-gateway.js'
import type { StoreKind } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * The destination page in a real Chromium against a real gateway (worker running, real clock):
 * a destination whose endpoint fails opens its circuit; the page shows it open with its next
 * probe (ten minutes away); the endpoint is fixed and "Probe now" closes it within seconds — the
 * waiting delivery succeeds — with the success rate, latency and recent attempts on the page,
 * and a reload keeps it.
 */

describe.each<StoreKind>(['sqlite', 'postgres'])('the destination page on %s', (kind) => {
  const sinkState = { up: false }
  const c = useConsoleGateway(kind, {
    sinkResponder: () => (sinkState.up ? { status: 200, body: 'ok' } : { status: 503, body: 'down' }),
  })
  const webhook = () =>
    c.send({
      type: 'ContactCreate',
      locationId: 'loc_1',
      id: `contact_${randomUUID().slice(0, 8)}`,
      webhookId: randomUUID(),
      timestamp: new Date().toISOString(),
    })

  it('shows an open circuit and its next probe; "Probe now" closes it and the waiting delivery succeeds', async () => {
    const created = await c.adminSend('POST', '/api/destinations', {
      id: 'flaky',
      url: c.sink.url,
      events: ['*'],
      retry: { maxAttempts: 1 },
      circuitBreaker: { minAttempts: 2, window: '1m', cooldown: '10m', failureRate: 1 },
    })
    expect(created.status).toBe(201)
    await webhook()
    await webhook()
    await until(
      async () => (await c.adminGet('/api/destinations/flaky')).process.circuit.state === 'open',
      'the circuit opened',
    )
    const waiting = await webhook()

    const { page } = await c.loggedIn('ui/destinations/flaky')
    const panel = page.getByRole('region', { name: 'Circuit breaker' })
    const state = panel.getByTestId('circuit-state')
    expect(await state.textContent()).toBe('open')
    // The next probe: relative, the absolute time on hover.
    const probe = panel.getByText(/next probe in (9|10) min/)
    await probe.waitFor()
    expect(await panel.locator('p time').getAttribute('title')).toMatch(/\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}/)
    const attempts = page.getByRole('region', { name: 'Recent attempts' })
    await attempts.getByRole('cell', { name: '503' }).first().waitFor()
    await attempts.getByText('0%').waitFor()

    sinkState.up = true
    await panel.getByRole('button', { name: 'Probe now' }).click()
    await until(async () => (await state.textContent()) === 'closed', 'the page shows the circuit closed')
    const delivery = await until(async () => {
      const [one] = (await c.adminGet(`/api/events/${waiting}`)).deliveries
      return one?.state === 'succeeded' ? one : undefined
    }, 'the waiting delivery succeeded')
    await attempts.getByRole('cell', { name: '200' }).waitFor()
    await attempts.getByText('33.3%').waitFor()
    // Each attempt links to its delivery.
    await attempts.getByRole('link', { name: delivery.id }).first().waitFor()

    // A deep link survives a reload.
    await page.reload()
    await page.getByRole('heading', { name: /flaky/ }).waitFor()
    expect(await page.getByTestId('circuit-state').textContent()).toBe('closed')
  })
})
