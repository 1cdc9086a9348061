import { describe, expect, it } from 'vitest'
import { createPicker, DEFAULT_MIX, parseMix } from './mix.js'
import { ghl2026Delay, retryPolicy, seededRandom } from './policy.js'
import { percentile } from './report.js'

const never = () => 0
const always = () => 0.999_999

describe('retry policies (REFERENCE.md c)', () => {
  it('ghl-2026 retries any non-2xx and no answer, 12 times, doubling from 10 s capped at 1 h', () => {
    const policy = retryPolicy('ghl-2026')
    expect(policy.decide({ status: 204 }, 0, never)).toEqual({ action: 'done' })
    for (const status of [301, 400, 401, 404, 410, 429, 500, 503, undefined]) {
      expect(policy.decide({ status }, 0, never)).toEqual({ action: 'retry', delayMs: 10_000 })
    }
    expect(policy.decide({ status: 500 }, 11, never)).toEqual({ action: 'retry', delayMs: 3_600_000 })
    expect(policy.decide({ status: 500 }, 12, never)).toEqual({ action: 'drop', reason: 'retries_exhausted' })
    expect([0, 1, 2, 8, 9].map((n) => ghl2026Delay(n, never))).toEqual([
      10_000, 20_000, 40_000, 2_560_000, 3_600_000,
    ])
    expect(ghl2026Delay(0, always)).toBeCloseTo(11_000, -1) // +10 % jitter at most
  })

  it('ghl-2025 retries only 429, about every 10 minutes, 6 times; everything else is final', () => {
    const policy = retryPolicy('ghl-2025')
    for (const status of [400, 401, 408, 500, 503, undefined]) {
      expect(policy.decide({ status }, 0, never)).toEqual({ action: 'drop', reason: 'not_retried' })
    }
    const retry = policy.decide({ status: 429 }, 0, always)
    expect(retry.action).toBe('retry')
    const delay = (retry as { delayMs: number }).delayMs
    expect(delay).toBeGreaterThanOrEqual(10 * 60_000)
    expect(delay).toBeLessThanOrEqual(12 * 60_000)
    expect(policy.decide({ status: 429 }, 6, never)).toEqual({ action: 'drop', reason: 'retries_exhausted' })
  })

  it('none makes one attempt', () => {
    expect(retryPolicy('none').decide({ status: 500 }, 0, never)).toEqual({
      action: 'drop',
      reason: 'not_retried',
    })
  })
})

describe('event mix', () => {
  it('the default covers every category and leans on contact and opportunity', () => {
    const mix = parseMix(DEFAULT_MIX)
    const total = mix.reduce((sum, m) => sum + m.weight, 0)
    const share = (category: string) =>
      mix.filter((m) => m.entry.category === category).reduce((sum, m) => sum + m.weight, 0) / total
    expect(share('contact')).toBeCloseTo(0.3)
    expect(share('opportunity')).toBeCloseTo(0.2)
    expect(share('knowledge-base')).toBeGreaterThan(0)
    expect(new Set(mix.map((m) => m.entry.name)).size).toBe(77)
  })

  it('takes categories, event names and canonical names, and picks in proportion', () => {
    const mix = parseMix('contact=50,InvoicePaid=25,opportunity.created=25')
    const pick = createPicker(mix, seededRandom(1))
    const counts = new Map<string, number>()
    for (let i = 0; i < 10_000; i++) {
      const name = pick().name
      counts.set(name, (counts.get(name) ?? 0) + 1)
    }
    expect(counts.get('InvoicePaid')! / 10_000).toBeCloseTo(0.25, 1)
    expect(counts.get('OpportunityCreate')! / 10_000).toBeCloseTo(0.25, 1)
    expect(counts.get('ContactCreate')! / 10_000).toBeCloseTo(0.1, 1)
    expect(
      [...counts.keys()].every(
        (n) => n.startsWith('Contact') || n === 'InvoicePaid' || n === 'OpportunityCreate',
      ),
    ).toBe(true)
  })

  it('refuses what it does not know', () => {
    expect(() => parseMix('contacts=1')).toThrow(/neither an event nor a category/)
    expect(() => parseMix('contact')).toThrow(/name=weight/)
    expect(() => parseMix('contact=0')).toThrow(/at least one a positive weight/)
  })
})

describe('percentile', () => {
  it('is nearest-rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
    expect([50, 90, 99, 100].map((p) => percentile(sorted, p))).toEqual([50, 90, 99, 100])
    expect(percentile([], 50)).toBe(0)
  })
})
